/**
 * i18next set-up: English and Simplified Chinese, bundled (no network), the
 * choice remembered in localStorage and mirrored on <html lang>.
 */
import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.js';
import { zhCN } from './zh-CN.js';

export const languages = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
] as const;
export type Language = (typeof languages)[number]['code'];

const STORAGE_KEY = 'signet.language';

function initialLanguage(): Language {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh-CN') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export async function setLanguage(code: Language): Promise<void> {
  localStorage.setItem(STORAGE_KEY, code);
  await i18next.changeLanguage(code);
}

i18next.on('languageChanged', (lng) => {
  document.documentElement.lang = lng;
});

export const i18nReady = i18next.use(initReactI18next).init({
  resources: { en: { translation: en }, 'zh-CN': { translation: zhCN } },
  lng: initialLanguage(),
  fallbackLng: 'en',
  supportedLngs: ['en', 'zh-CN'],
  // React escapes; i18next must not escape a second time.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export default i18next;
