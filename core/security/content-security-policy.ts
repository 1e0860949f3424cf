/**
 * The one Content-Security-Policy of Signet's UI, wherever the page is served
 * from: the Electron session's header, the loopback bridge's header, and the
 * `<meta http-equiv>` that Vite writes into index.html for a page loaded from
 * file:// (where no header applies). No eval, no inline script or style,
 * nothing from any other origin. Pure strings, no Node imports.
 */
const directives = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "font-src 'self'",
  "media-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
];

/** As an HTTP header (Electron's session, the bridge). */
export const CONTENT_SECURITY_POLICY = directives.join('; ');

/**
 * As a `<meta http-equiv>`: the same policy without `frame-ancestors`, which a
 * meta element cannot carry (the browser ignores it and logs an error).
 */
export const META_CONTENT_SECURITY_POLICY = directives
  .filter((directive) => !directive.startsWith('frame-ancestors'))
  .join('; ');
