export { verifyEd25519 } from './ed25519.js';
export { type EcdsaCurve, type NormalisedSignature, normaliseEcdsaSignature } from './normalise.js';
export { parseEcdsaSignature } from './signature-format.js';
