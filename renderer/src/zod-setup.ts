/**
 * Must be evaluated before any zod schema is built (zod reads the flag when a
 * schema is constructed): import it first. No `new Function` fast path, since
 * the CSP (script-src 'self', no 'unsafe-eval') forbids eval, and even zod's
 * probe for it would be reported as a violation.
 */
import { config } from 'zod';

config({ jitless: true });
