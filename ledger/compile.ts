/**
 * Compiles Signet's ledger contracts with solc from npm (solc-js, no download) and
 * caches the result under ledger/.build/, keyed by a hash of every source file, the
 * compiler version and the settings.
 *
 * Imports are resolved the way Node resolves modules, relative to the importing
 * file. That matters: @solvprotocol/erc-3525 imports `@openzeppelin/contracts/…`
 * and means its own nested OpenZeppelin 4.9, while DigitalCurrency means the
 * top-level OpenZeppelin 5. Each file gets the source unit name of its real path
 * (`node_modules/…`), and solc is told, per importing file, where each bare import
 * leads (context remappings), so both versions live side by side in one run.
 *
 * Run as a script (`tsx ledger/compile.ts`) it compiles (if stale) and prints a summary.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Abi, Hex } from 'viem';

export interface ContractArtifact {
  abi: Abi;
  /** Creation bytecode, 0x-prefixed. */
  bytecode: Hex;
  /** Runtime bytecode, 0x-prefixed (to check what is deployed). */
  deployedBytecode: Hex;
}

export interface ChainArtifacts {
  DigitalCurrency: ContractArtifact;
  DigitalNote: ContractArtifact;
  /** A P-256 key's account (ledger/contracts/P256Account.sol), deployed as clones by the factory. */
  P256Account: ContractArtifact;
  P256AccountFactory: ContractArtifact;
  /** Offline digital cash (issue 13): purses, vouchers, fraud proofs (ledger/contracts/OfflinePurse.sol). */
  OfflinePurse: ContractArtifact;
}

export interface SafeArtifacts {
  Safe: ContractArtifact;
  /** The singleton Signet deploys: emits events for every Safe transaction (sync without an indexer). */
  SafeL2: ContractArtifact;
  SafeProxyFactory: ContractArtifact;
  CompatibilityFallbackHandler: ContractArtifact;
  MultiSend: ContractArtifact;
  MultiSendCallOnly: ContractArtifact;
}

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = resolve(here, '..');
const buildDir = join(here, '.build');
const require = createRequire(import.meta.url);

/** The contracts Signet compiles, by name, with their source unit names. */
const entries = {
  DigitalCurrency: 'ledger/contracts/DigitalCurrency.sol',
  DigitalNote: 'ledger/contracts/DigitalNote.sol',
  P256Account: 'ledger/contracts/P256Account.sol',
  P256AccountFactory: 'ledger/contracts/P256Account.sol',
  OfflinePurse: 'ledger/contracts/OfflinePurse.sol',
} as const satisfies Record<keyof ChainArtifacts, string>;

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  metadata: { bytecodeHash: 'ipfs' },
} as const;

interface SourceGraph {
  /** Source unit name → content. */
  sources: Map<string, string>;
  /** `context:prefix=target` remappings for bare (non-relative) imports. */
  remappings: string[];
}

interface CacheFile {
  key: string;
  solcVersion: string;
  contracts: ChainArtifacts;
  warnings: string[];
}

let memo: Promise<ChainArtifacts> | undefined;

/**
 * The compiled contracts, from the cache when it matches the sources, otherwise
 * compiled now (and cached). Safe to call from several processes at once.
 */
export function loadArtifacts(): Promise<ChainArtifacts> {
  memo ??= build().then((result) => result.contracts);
  // A failed compile must not stick: the next call tries again.
  memo.catch(() => {
    memo = undefined;
  });
  return memo;
}

/** Compiles when stale; reports whether the cache was used and how long it took. */
export async function build(): Promise<CacheFile & { cached: boolean; ms: number }> {
  const started = performance.now();
  const graph = await collectSources(Object.values(entries));
  const solcVersion = solcPackageVersion();
  const key = cacheKey(graph, solcVersion);
  const file = join(buildDir, `contracts-${key}.json`);
  const cached = await readCache(file, key);
  if (cached) return { ...cached, cached: true, ms: performance.now() - started };

  const result = await compile(graph, solcVersion, key);
  await writeAtomically(file, JSON.stringify(result));
  await removeStale(file);
  return { ...result, cached: false, ms: performance.now() - started };
}

/** The Safe 1.4.1 contracts exactly as @safe-global/safe-contracts ships them (never recompiled). */
export async function loadSafeArtifacts(): Promise<SafeArtifacts> {
  const base = join(
    dirname(require.resolve('@safe-global/safe-contracts/package.json')),
    'build/artifacts/contracts',
  );
  const load = async (path: string): Promise<ContractArtifact> => {
    const json = JSON.parse(await readFile(join(base, path), 'utf8')) as {
      abi: Abi;
      bytecode: Hex;
      deployedBytecode: Hex;
      linkReferences?: Record<string, unknown>;
    };
    if (json.linkReferences && Object.keys(json.linkReferences).length > 0) {
      throw new Error(`${path} needs linking, which Signet does not do`);
    }
    return { abi: json.abi, bytecode: json.bytecode, deployedBytecode: json.deployedBytecode };
  };
  const [
    Safe,
    SafeL2,
    SafeProxyFactory,
    CompatibilityFallbackHandler,
    MultiSend,
    MultiSendCallOnly,
  ] = await Promise.all([
    load('Safe.sol/Safe.json'),
    load('SafeL2.sol/SafeL2.json'),
    load('proxies/SafeProxyFactory.sol/SafeProxyFactory.json'),
    load('handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json'),
    load('libraries/MultiSend.sol/MultiSend.json'),
    load('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json'),
  ]);
  return {
    Safe: Safe!,
    SafeL2: SafeL2!,
    SafeProxyFactory: SafeProxyFactory!,
    CompatibilityFallbackHandler: CompatibilityFallbackHandler!,
    MultiSend: MultiSend!,
    MultiSendCallOnly: MultiSendCallOnly!,
  };
}

// ------------------------------------------------------------------------------------
// Sources and import resolution
// ------------------------------------------------------------------------------------

/** Walks the import graph from the entry files, resolving like Node does. */
async function collectSources(entryUnits: readonly string[]): Promise<SourceGraph> {
  const sources = new Map<string, string>();
  const remappings = new Set<string>();
  const queue = entryUnits.map((unit) => join(packageRoot, unit));
  while (queue.length > 0) {
    const file = queue.shift()!;
    const unit = unitName(file);
    if (sources.has(unit)) continue;
    const content = await readFile(file, 'utf8');
    sources.set(unit, content);
    for (const spec of importsOf(content)) {
      const target = resolveImport(spec, file);
      const targetUnit = unitName(target);
      if (!isRelative(spec)) remappings.add(`${unit}:${spec}=${targetUnit}`);
      if (!sources.has(targetUnit)) queue.push(target);
    }
  }
  return { sources, remappings: [...remappings].sort() };
}

/** Import paths of a Solidity file (comments stripped first, so examples in NatSpec don't count). */
export function importsOf(content: string): string[] {
  const code = content.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
  const specs: string[] = [];
  for (const match of code.matchAll(/\bimport\s+(?:[^'";]*?\bfrom\s+)?["']([^"']+)["']/g)) {
    specs.push(match[1]!);
  }
  return specs;
}

function isRelative(spec: string): boolean {
  return spec.startsWith('./') || spec.startsWith('../');
}

/** Node's resolution for a file inside a package: the nearest node_modules up the tree wins. */
function resolveImport(spec: string, importer: string): string {
  if (isRelative(spec)) {
    const target = resolve(dirname(importer), spec);
    if (existsSync(target)) return target;
  } else {
    for (let dir = dirname(importer); ; dir = dirname(dir)) {
      const target = join(dir, 'node_modules', spec);
      if (existsSync(target)) return target;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`cannot resolve import "${spec}" from ${unitName(importer)}`);
}

function unitName(file: string): string {
  const name = relative(packageRoot, file).split(sep).join('/');
  if (name.startsWith('../')) throw new Error(`source outside the package: ${file}`);
  return name;
}

function solcPackageVersion(): string {
  return (require('solc/package.json') as { version: string }).version;
}

function cacheKey(graph: SourceGraph, solcVersion: string): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ solcVersion, settings, remappings: graph.remappings, entries }));
  for (const unit of [...graph.sources.keys()].sort()) {
    hash.update(`\0${unit}\0${graph.sources.get(unit)}`);
  }
  return hash.digest('hex').slice(0, 32);
}

// ------------------------------------------------------------------------------------
// Compiling
// ------------------------------------------------------------------------------------

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<
      string,
      {
        abi: Abi;
        evm: { bytecode: { object: string }; deployedBytecode: { object: string } };
      }
    >
  >;
}

async function compile(graph: SourceGraph, solcVersion: string, key: string): Promise<CacheFile> {
  // Loading solc-js (a 9 MB Emscripten module) takes a second or two: only when compiling.
  const solc = (await import('solc')).default;
  const outputSelection: Record<string, Record<string, string[]>> = {};
  for (const [name, unit] of Object.entries(entries)) {
    outputSelection[unit] = {
      ...outputSelection[unit],
      [name]: ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'],
    };
  }
  const input = {
    language: 'Solidity',
    sources: Object.fromEntries([...graph.sources].map(([unit, content]) => [unit, { content }])),
    settings: { ...settings, remappings: graph.remappings, outputSelection },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const problems = output.errors ?? [];
  const errors = problems.filter((e) => e.severity === 'error');
  if (errors.length > 0) {
    throw new Error(
      `solc ${solcVersion} failed:\n${errors.map((e) => e.formattedMessage).join('\n')}`,
    );
  }
  const artifact = (name: keyof ChainArtifacts): ContractArtifact => {
    const out = output.contracts?.[entries[name]]?.[name];
    if (!out) throw new Error(`solc produced no output for ${name}`);
    return {
      abi: out.abi,
      bytecode: `0x${out.evm.bytecode.object}`,
      deployedBytecode: `0x${out.evm.deployedBytecode.object}`,
    };
  };
  return {
    key,
    solcVersion: solc.version() as string,
    contracts: {
      DigitalCurrency: artifact('DigitalCurrency'),
      DigitalNote: artifact('DigitalNote'),
      P256Account: artifact('P256Account'),
      P256AccountFactory: artifact('P256AccountFactory'),
      OfflinePurse: artifact('OfflinePurse'),
    },
    warnings: problems.filter((e) => e.severity === 'warning').map((e) => e.formattedMessage),
  };
}

// ------------------------------------------------------------------------------------
// Cache
// ------------------------------------------------------------------------------------

async function readCache(file: string, key: string): Promise<CacheFile | undefined> {
  try {
    const cache = JSON.parse(await readFile(file, 'utf8')) as CacheFile;
    return cache.key === key ? cache : undefined;
  } catch {
    return undefined; // missing or unreadable: compile again
  }
}

/** Readers in other processes see the old file or the whole new one, never a partial one. */
async function writeAtomically(file: string, content: string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Keeps the build folder to the current artifacts (best effort). */
async function removeStale(current: string): Promise<void> {
  const keep = current.slice(buildDir.length + 1);
  for (const name of await readdir(buildDir).catch(() => [] as string[])) {
    if (name !== keep && /^contracts-[0-9a-f]+\.json$/.test(name)) {
      await rm(join(buildDir, name), { force: true }).catch(() => {});
    }
  }
}

// ------------------------------------------------------------------------------------
// Script entry: `npm run build:contracts`
// ------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  build().then(
    (result) => {
      for (const warning of result.warnings) console.warn(warning);
      const sizes = Object.entries(result.contracts)
        .map(([name, a]) => `${name} ${(a.deployedBytecode.length - 2) / 2} bytes`)
        .join(', ');
      console.log(
        `${result.cached ? 'up to date' : 'compiled'} with solc ${result.solcVersion} in ${Math.round(result.ms)} ms: ${sizes}`,
      );
      console.log(
        `cache: ${relative(process.cwd(), join(buildDir, `contracts-${result.key}.json`))}`,
      );
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
