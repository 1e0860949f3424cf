// First: zod's settings must be in place before the API contract's schemas are built.
import './zod-setup.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './api.js';
import { App } from './App.js';
import { i18nReady } from './i18n/index.js';

const root = document.getElementById('root');
if (root) {
  void i18nReady.then(() => {
    createRoot(root).render(
      <StrictMode>
        <App />
      </StrictMode>,
    );
  });
}
