/**
 * Canonical JSON: object keys sorted (UTF-16 order, as RFC 8785), no whitespace,
 * bigint as a decimal string, bytes as 0x hex. The same value always gives the
 * same text, so it can be hashed (the audit chain) and compared.
 * `undefined`, functions and symbols are left out as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

/**
 * Canonical JSON written earlier (by canonicalJson), placed as it is inside a
 * larger value: a part serialised once, outside a lock, need not be again.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'string':
    case 'number': // non-finite numbers become null, as in JSON.stringify
    case 'boolean':
      return JSON.stringify(value);
    case 'object':
      return value === null ? 'null' : writeObject(value);
    default:
      return undefined;
  }
}

function writeObject(value: object): string | undefined {
  if (value instanceof CanonicalText) return value.text;
  if (value instanceof Uint8Array) return JSON.stringify(`0x${Buffer.from(value).toString('hex')}`);
  if (Array.isArray(value)) return `[${value.map((item) => write(item) ?? 'null').join(',')}]`;
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') return write(toJson.call(value));
  // Built as text, not as an object: JS would reorder integer-like keys ("10" before "2").
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .sort()
    .flatMap((key) => {
      const text = write(record[key]);
      return text === undefined ? [] : [`${JSON.stringify(key)}:${text}`];
    });
  return `{${members.join(',')}}`;
}
