/**
 * All of Signet's own state lives under one data directory: SIGNET_HOME if set,
 * else the folder Electron's `app.getPath('userData')` would use, so the CLI and
 * the desktop app share it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function signetHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SIGNET_HOME) return env.SIGNET_HOME;
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Signet');
    case 'win32':
      return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Signet');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Signet');
  }
}
