/**
 * Which other processes hold a device node open, where the system can say:
 * on Linux, /proc/<pid>/fd/* are links to what each process has open, so a
 * link to /dev/hidrawN names a holder. Only processes the caller may inspect
 * are seen (its own user's; all of them for root); elsewhere (macOS, Windows,
 * another user's process) the answer is "unknown", and callers name the usual
 * suspects instead (COMMON_HOLDERS).
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceHolder {
  pid: number;
  /** The program as people know it ("Ledger Live"), else its process name. */
  name: string;
}

/** Programs that commonly keep a Ledger open: named when the system cannot say which one does. */
export const COMMON_HOLDERS = 'Ledger Live, a browser tab using WebHID, MetaMask or Frame';

const KNOWN: Array<[RegExp, string]> = [
  [/ledger[\s_-]?live/i, 'Ledger Live'],
  [/\bframe\b/i, 'Frame'],
  [/chrom(e|ium)/i, 'a Chromium browser (WebHID)'],
  [/brave/i, 'Brave (WebHID)'],
  [/firefox/i, 'Firefox'],
];

/** Processes other than this one with `devicePath` open; [] when none or when it cannot be told. */
export function findDeviceHolders(
  devicePath: string,
  options: { procRoot?: string; selfPid?: number } = {},
): DeviceHolder[] {
  const proc = options.procRoot ?? '/proc';
  const self = options.selfPid ?? process.pid;
  let target: string;
  try {
    target = realpathSync(devicePath);
  } catch {
    return [];
  }
  let pids: string[];
  try {
    pids = readdirSync(proc).filter((entry) => /^\d+$/.test(entry));
  } catch {
    return []; // no /proc: not Linux
  }
  const holders: DeviceHolder[] = [];
  for (const pid of pids) {
    if (Number(pid) === self) continue;
    let fds: string[];
    try {
      fds = readdirSync(join(proc, pid, 'fd'));
    } catch {
      continue; // gone, or another user's
    }
    const holds = fds.some((fd) => {
      try {
        return readlinkSync(join(proc, pid, 'fd', fd)) === target;
      } catch {
        return false;
      }
    });
    if (holds) holders.push({ pid: Number(pid), name: programName(join(proc, pid)) });
  }
  return holders;
}

function programName(dir: string): string {
  const read = (file: string) => {
    try {
      return readFileSync(join(dir, file), 'utf8');
    } catch {
      return '';
    }
  };
  const comm = read('comm').trim();
  // cmdline is NUL-separated; the program path tells "ledger-live-desktop" from "electron".
  const command = read('cmdline').split('\0').slice(0, 2).join(' ');
  for (const [pattern, name] of KNOWN) {
    if (pattern.test(comm) || pattern.test(command)) return name;
  }
  return comm || 'an unnamed process';
}

/** "Ledger Live (pid 4242)", or the usual suspects when no holder could be seen. */
export function describeHolders(holders: DeviceHolder[]): string {
  if (holders.length === 0) return `another program may be using it (${COMMON_HOLDERS})`;
  return `it is open in ${holders.map((h) => `${h.name} (pid ${h.pid})`).join(', ')}`;
}
