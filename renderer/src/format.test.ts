/** Error sentences for a wrong or locked PIN on a TPM token, in both languages. */
import { createInstance, type TFunction } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SerializedError } from '../../core/api/errors.js';
import { errorText, tpmLockoutWords } from './format.js';
import { en } from './i18n/en.js';
import { zhCN } from './i18n/zh-CN.js';

const i18n = createInstance();
let t: TFunction;
let zh: TFunction;
beforeAll(async () => {
  await i18n.init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng: 'en',
    interpolation: { escapeValue: false },
  });
  t = i18n.getFixedT('en');
  zh = i18n.getFixedT('zh-CN');
});

/** What Signet's core sends for a TPM token (native/pkcs11/tpm.ts). */
function tpmError(code: 'PIN_INCORRECT' | 'PIN_LOCKED', lockout: object): SerializedError {
  return {
    code,
    message: 'the server line',
    details: {
      role: 'user',
      tpmLockout: {
        known: true,
        failures: 1,
        maxFailures: 3,
        triesLeft: 2,
        intervalSeconds: 600,
        locked: false,
        ...lockout,
      },
    },
  };
}

describe('errorText on a TPM token', () => {
  it("says the tries left from the TPM's counter after a wrong PIN", () => {
    expect(errorText(t, tpmError('PIN_INCORRECT', {}))).toBe(
      'Wrong PIN. 2 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 min.',
    );
    expect(errorText(zh, tpmError('PIN_INCORRECT', {}))).toBe(
      'PIN 码错误。 TPM 锁定前还可尝试 2 次（共 3 次）；每 10 分钟恢复一次尝试机会。',
    );
  });

  it('says when to try again, not to unblock with the SO PIN, once the TPM is locked', () => {
    const locked = { locked: true, triesLeft: 0, failures: 3 };
    expect(errorText(t, tpmError('PIN_LOCKED', locked))).toBe(
      'The TPM is locked after too many wrong PINs: no PIN is tried. Try again in at most 10 min.',
    );
    expect(errorText(t, tpmError('PIN_LOCKED', { ...locked, intervalSeconds: 0 }))).toMatch(
      /does not unlock by itself/,
    );
  });

  it('keeps the usual sentences where the TPM state is unknown or the token is no TPM', () => {
    const unknown: SerializedError = {
      code: 'PIN_INCORRECT',
      message: 'm',
      details: { tpmLockout: { known: false, reason: 'tpm2-tools is not installed' } },
    };
    expect(errorText(t, unknown)).toBe(
      'Wrong PIN. The token does not say how many tries are left.',
    );
    expect(errorText(t, { code: 'PIN_LOCKED', message: 'm' })).toBe(en.errors.PIN_LOCKED);
  });
});

describe('tpmLockoutWords on the Devices card', () => {
  it('says the state of a TPM token that nobody has just mistyped', () => {
    const state = { triesLeft: 3, maxFailures: 3, intervalSeconds: 600, locked: false };
    expect(tpmLockoutWords(t, state)).toBe(
      '3 of 3 tries left before the TPM locks; it forgives one wrong PIN every 10 min.',
    );
    expect(tpmLockoutWords(zh, { ...state, locked: true, triesLeft: 0 })).toBe(
      'PIN 码错误次数过多，TPM 已锁定，不再验证任何 PIN 码。请在最多 10 分钟后重试。',
    );
  });
});
