/**
 * "The ledger" (the chain) and "a Ledger" (the USB hardware wallet) must never be
 * confused in names. The rule, checked over every identifier in the code:
 *   - the chain is `chain…` in names (ChainProfile, ChainSigner, startDevChain);
 *     the bare words `ledger`/`ledgers` stay for the chain, as the CLI and the UI
 *     say it (`signet ledger up`, the `ledger` field of app.info);
 *   - the USB device is `LedgerDevice…`/`ledgerDevice…` (or @ledgerhq's own names).
 * Any other identifier containing "ledger" is refused.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const folders = [
  'app',
  'bench',
  'cli',
  'core',
  'electron',
  'ledger',
  'native',
  'renderer/src',
  'test',
];
const allowed = /^ledgers?$|LedgerDevice|ledgerDevice|ledgerhq|Ledgerhq/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) return [];
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(entry) ? [path] : [];
  });
}

function identifiers(text: string, tsx: boolean): string[] {
  const file = ts.createSourceFile(
    tsx ? 'x.tsx' : 'x.ts',
    text,
    ts.ScriptTarget.Latest,
    false,
    tsx ? ts.ScriptKind.TSX : ts.ScriptKind.TS,
  );
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) found.push(node.text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('names', () => {
  it('never call the chain "Ledger" the way the USB device will be called', () => {
    const offenders: string[] = [];
    for (const folder of folders) {
      for (const file of sourceFiles(join(root, folder))) {
        for (const name of identifiers(readFileSync(file, 'utf8'), file.endsWith('.tsx'))) {
          if (/ledger/i.test(name) && !allowed.test(name))
            offenders.push(`${relative(root, file)}: ${name}`);
        }
      }
    }
    expect([...new Set(offenders)]).toEqual([]);
  });

  it('refuses a chain name that says Ledger (the check can fail)', () => {
    const names = identifiers('const LedgerSigner = 1; let ledgerTime = 2;', false);
    expect(names.filter((n) => /ledger/i.test(n) && !allowed.test(n))).toEqual([
      'LedgerSigner',
      'ledgerTime',
    ]);
  });
});
