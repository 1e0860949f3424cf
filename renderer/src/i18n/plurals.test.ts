/** Counted strings pick the right plural form per language (i18next's _one/_other suffixes). */
import { createInstance } from 'i18next';
import { beforeAll, describe, expect, it } from 'vitest';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

const i18n = createInstance();
beforeAll(async () => {
  await i18n.init({
    resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
    lng: 'en',
    interpolation: { escapeValue: false },
  });
});
const t = (lng: string, key: string, count: number) =>
  i18n.t(key, { lng, count, n: String(count) });

describe('plural forms of the history status', () => {
  it('says one entry in the singular in English', () => {
    expect(t('en', 'accounts.loadedAll', 1)).toBe('1 entry, all loaded');
    expect(t('en', 'accounts.loaded', 1)).toBe('1 entry loaded');
    expect(t('en', 'accounts.loadedAll', 2)).toBe('All 2 entries loaded');
    expect(t('en', 'accounts.loaded', 500)).toBe('500 entries loaded');
  });

  it('has one form in Chinese', () => {
    expect(t('zh-CN', 'accounts.loadedAll', 1)).toBe('已加载全部 1 条');
    expect(t('zh-CN', 'accounts.loadedAll', 2)).toBe('已加载全部 2 条');
  });
});
