/**
 * Node URLs as Signet shows them in messages, logs and the UI: without the
 * secrets operators put in them (viem strips credentials the same way).
 */

/** A path segment that looks like an API key (Infura's /v3/<key>, QuickNode's /<token>/). */
const keyLike = /^(?=.*\d)[A-Za-z0-9_-]{20,}$/;

/**
 * `http://user:pass@host:8545/v3/<key>?apikey=abc#x` → `http://host:8545/v3/***?apikey=***`.
 * Drops user:password@ and the fragment, masks every query value (any of them may
 * be a token) and key-like path segments. Unparseable input is not shown at all:
 * we could not tell its secrets apart.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '<invalid URL>';
  }
  const path = parsed.pathname
    .split('/')
    .map((segment) => (keyLike.test(segment) ? '***' : segment))
    .join('/');
  const query = [...parsed.searchParams.keys()]
    .map((key) => `${encodeURIComponent(key)}=***`)
    .join('&');
  return `${parsed.protocol}//${parsed.host}${path === '/' ? '' : path}${query ? `?${query}` : ''}`;
}

/**
 * What redactUrl hides, so that text a node or the network stack produced about this URL
 * can be scrubbed too: user, password, query values, key-like path segments.
 */
export function urlSecrets(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const secrets = [
    parsed.username,
    parsed.password,
    ...[parsed.username, parsed.password].map(safeDecode),
    ...parsed.searchParams.values(),
    ...parsed.pathname.split('/').filter((segment) => keyLike.test(segment)),
  ];
  // Short values ("1", "on") would mangle unrelated words; they are not secrets anyway.
  return [...new Set(secrets.filter((s) => s.length >= 3))];
}

/** Replaces every secret of the URL in `text` with ***. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
