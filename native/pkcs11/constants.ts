/**
 * PKCS#11 3.0 values pkcs11js (a 2.40 binding) does not name. From the standard's
 * pkcs11t.h; the numbers are fixed by the specification.
 */
export const CKK_EC_EDWARDS = 0x40;
export const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
export const CKM_EDDSA = 0x1057;

/** Session states (CK_STATE) of a session that is not logged in. */
export const CKS_RO_PUBLIC_SESSION = 0;
export const CKS_RW_PUBLIC_SESSION = 2;
