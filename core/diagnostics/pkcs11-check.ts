/**
 * PKCS#11 modules and their tokens: which modules Signet lists (config.json and
 * discovery, as the UI and `signet modules` see them), whether each loads and
 * what it says it is (C_GetInfo), the tokens in their slots and each token's
 * PIN state from its flags (C_GetTokenInfo), or for a TPM token from the TPM's
 * lockout counter (tpm-findings.ts). No session is opened, no login made.
 */

import { discoverModules, type ModuleCandidate } from '../../native/pkcs11/discovery.js';
import { openModule, type Pkcs11Module } from '../../native/pkcs11/module.js';
import { fromPkcs11Error } from '../../native/pkcs11/return-codes.js';
import {
  describeToken,
  slotNumber,
  type TokenDescription,
  tokenUri,
} from '../../native/pkcs11/tokens.js';
import { formatPkcs11Uri } from '../../native/pkcs11/uri.js';
import type { Finding, FindingFacts } from '../api/diagnostics.js';
import { SignetError } from '../api/errors.js';
import { configPath } from '../config/config.js';
import { type DiagnosticCheck, type DoctorContext, finding, firstLine } from './check.js';
import { tpmLockoutFinding } from './tpm-findings.js';

export const pkcs11Check: DiagnosticCheck = {
  name: 'PKCS#11',
  area: 'modules',
  async run(context) {
    const config = configPath(context.env);
    const candidates = discoverModules({
      configured: context.config().modules,
      ...context.discovery,
    });
    if (candidates.length === 0) return [finding('modules', 'warn', 'module.none', { config })];
    const findings: Finding[] = [];
    let initialised = 0;
    for (const candidate of candidates) {
      const looked = await lookAtModule(candidate, context);
      findings.push(...looked.findings);
      initialised += looked.tokens.filter((t) => t.flags.tokenInitialized).length;
    }
    if (initialised === 0) findings.push(finding('tokens', 'warn', 'token.none'));
    return findings;
  },
};

async function lookAtModule(
  candidate: ModuleCandidate,
  context: DoctorContext,
): Promise<{ findings: Finding[]; tokens: TokenDescription[] }> {
  const facts = { name: candidate.name, path: candidate.path, source: candidate.source };
  let module: Pkcs11Module;
  try {
    module = openModule(candidate.path);
  } catch (error) {
    return { findings: [moduleFailure(candidate, error, context)], tokens: [] };
  }
  try {
    const findings: Finding[] = [];
    try {
      findings.push(finding('modules', 'ok', 'module.loaded', { ...facts, ...module.info() }));
    } catch (error) {
      const reason = fromPkcs11Error(error, 'C_GetInfo').message;
      return {
        findings: [finding('modules', 'fail', 'module.initFailed', { ...facts, reason })],
        tokens: [],
      };
    }
    let slots: Buffer[];
    try {
      slots = module.api.C_GetSlotList(true);
    } catch (error) {
      const reason = fromPkcs11Error(error, 'C_GetSlotList').message;
      findings.push(finding('modules', 'fail', 'module.slotsFailed', { ...facts, reason }));
      return { findings, tokens: [] };
    }
    const tokens: TokenDescription[] = [];
    for (const slot of slots) {
      let token: TokenDescription;
      try {
        token = describeToken(module, slot);
      } catch (error) {
        // Pulled out between the two calls: that slot holds no token any more.
        if (error instanceof SignetError && error.code === 'TOKEN_REMOVED') continue;
        findings.push(
          finding('tokens', 'fail', 'token.unreadable', {
            module: candidate.name,
            modulePath: candidate.path,
            slot: slotNumber(slot),
            reason: firstLine(error),
          }),
        );
        continue;
      }
      tokens.push(token);
      const flagged = tokenFindings(token, candidate.name);
      if (token.tpm && token.flags.tokenInitialized) {
        // A TPM token's PIN flags never change: its PIN state is the TPM's lockout.
        const lockout = tpmLockoutFinding(
          tokenFacts(token, candidate.name),
          await context.tpmLockout(),
        );
        findings.push(...flagged.filter((f) => f.code !== 'token.ready'), lockout);
      } else {
        findings.push(...flagged);
      }
    }
    return { findings, tokens };
  } finally {
    module.close();
  }
}

/** A module that does not load: a failure if the user listed it, a warning if it was only found. */
function moduleFailure(
  candidate: ModuleCandidate,
  error: unknown,
  context: DoctorContext,
): Finding {
  const status = candidate.source === 'config' ? 'fail' : 'warn';
  const config = configPath(context.env);
  const facts = { name: candidate.name, path: candidate.path, source: candidate.source, config };
  const code = error instanceof SignetError ? error.code : undefined;
  const cause = error instanceof Error ? error.cause : undefined;
  if (code === 'MODULE_NOT_FOUND') return finding('modules', status, 'module.missing', facts);
  if (code === 'MODULE_INVALID') {
    // dlopen's message starts with the path the sentence already names.
    const reason = firstLine(cause).replace(`${candidate.path}: `, '');
    return finding('modules', status, 'module.invalid', { ...facts, reason });
  }
  const ckr = error instanceof SignetError ? error.details?.ckr : undefined;
  const reason = typeof ckr === 'string' ? ckr : firstLine(cause ?? error);
  return finding('modules', status, 'module.initFailed', { ...facts, reason });
}

/**
 * What a token's flags say, one finding per problem (PKCS#11 v2.40 §3.2,
 * CK_TOKEN_INFO), or one ok finding when there is none.
 */
export function tokenFindings(token: TokenDescription, moduleName: string): Finding[] {
  const f = token.flags;
  const facts = tokenFacts(token, moduleName);
  if (!f.tokenInitialized) return [finding('tokens', 'ok', 'token.empty', facts)];
  const found: Finding[] = [];
  const add = (status: 'warn' | 'fail', code: Parameters<typeof finding>[2]) =>
    found.push(finding('tokens', status, code, facts));
  if (!f.userPinInitialized) add('warn', 'token.noUserPin');
  if (f.userPinLocked) add('fail', 'token.userPinLocked');
  else if (f.userPinFinalTry) add('warn', 'token.userPinFinalTry');
  else if (f.userPinCountLow) add('warn', 'token.userPinCountLow');
  if (f.userPinToBeChanged) add('warn', 'token.userPinToBeChanged');
  if (f.soPinLocked) add('fail', 'token.soPinLocked');
  else if (f.soPinFinalTry) add('warn', 'token.soPinFinalTry');
  else if (f.soPinCountLow) add('warn', 'token.soPinCountLow');
  if (f.soPinToBeChanged) add('warn', 'token.soPinToBeChanged');
  if (f.writeProtected) add('warn', 'token.writeProtected');
  if (!token.mechanisms.includes('CKM_ECDSA') && !token.mechanisms.includes('CKM_EDDSA'))
    add('warn', 'token.cannotSign');
  return found.length > 0 ? found : [finding('tokens', 'ok', 'token.ready', facts)];
}

/** What every finding about a token says of it. */
function tokenFacts(token: TokenDescription, moduleName: string): FindingFacts {
  // A quote would end the shell quoting of a fix's command: percent-encoding it
  // gives the same URI (RFC 7512 allows any character escaped).
  const uri = formatPkcs11Uri(tokenUri(token)).replaceAll("'", '%27');
  return {
    label: token.label,
    serial: token.serial,
    model: token.model,
    manufacturer: token.manufacturer,
    slot: token.slot,
    module: moduleName,
    modulePath: token.modulePath,
    uri,
  };
}
