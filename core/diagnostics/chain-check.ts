/**
 * The active ledger profile and its nodes: each node asked now for its chain id
 * and head (a pool of its own, so no back-off from earlier calls hides a node),
 * the head block cross-checked between them, and whether enough of them answer
 * for Signet to confirm anything (more than half of the profile's nodes, see
 * core/rpc/vote.ts). URLs are shown as core/rpc/url.ts redacts them: no
 * user:password, no query values, no key-like path segments.
 */
import { existsSync } from 'node:fs';
import type { Finding } from '../api/diagnostics.js';
import type { ChainProfile } from '../api/profile.js';
import { activeProfilePath, readProfileFile } from '../chain/profile-file.js';
import { RpcPool } from '../rpc/rpc-pool.js';
import { quorumAnchor, quorumOf } from '../rpc/vote.js';
import { type DiagnosticCheck, finding, firstLine } from './check.js';

/** Node states in which a node answered on the profile's chain. */
const answered = new Set(['up', 'behind', 'disagreeing']);

export const chainCheck: DiagnosticCheck = {
  name: 'ledger nodes',
  area: 'ledger',
  async run(context) {
    const path = activeProfilePath(context.env);
    if (!existsSync(path)) return [finding('ledger', 'warn', 'ledger.none', { path })];
    let profile: ChainProfile;
    let pool: RpcPool;
    try {
      // Read as is: readActiveProfile would close the file's mode on the way.
      profile = readProfileFile(path);
      pool = new RpcPool({
        urls: profile.rpc,
        chainId: profile.chainId,
        timeoutMs: context.nodeTimeoutMs,
      });
    } catch (error) {
      return [finding('ledger', 'fail', 'ledger.invalid', { path, reason: firstLine(error) })];
    }
    const findings: Finding[] = [
      finding('ledger', 'ok', 'ledger.profile', {
        name: profile.name,
        chainId: profile.chainId,
        nodes: profile.rpc.length,
        confirmations: profile.confirmations,
        dev: profile.dev,
      }),
    ];
    const heads = await pool.heads().catch(() => undefined);
    if (heads) {
      // The pinned block's hash from every node: one on a fork shows up as disagreeing.
      await pool
        .request('eth_getBlockByNumber', [`0x${heads.pinned.toString(16)}`, false], {
          crossCheck: true,
          atBlock: heads.pinned,
          compareBy: (block) => (block as { hash?: string } | null)?.hash,
        })
        .catch(() => undefined);
    }
    const nodes = pool.status();
    const answering = nodes.filter((node) => answered.has(node.state));
    const anchorHeads = answering.flatMap((node) => (node.head === undefined ? [] : [node.head]));
    const anchor =
      anchorHeads.length > 0 ? quorumAnchor(anchorHeads, profile.rpc.length) : undefined;
    for (const node of nodes) {
      const url = node.url;
      switch (node.state) {
        case 'up':
          findings.push(
            finding('ledger', 'ok', 'node.up', {
              url,
              head: node.head ?? null,
              latencyMs: node.latencyMs ?? null,
            }),
          );
          break;
        case 'behind':
          findings.push(
            finding('ledger', 'warn', 'node.behind', {
              url,
              head: node.head ?? null,
              anchor: anchor ?? null,
              lag: anchor !== undefined && node.head !== undefined ? anchor - node.head : null,
            }),
          );
          break;
        case 'disagreeing':
          findings.push(
            finding('ledger', 'fail', 'node.disagreeing', {
              url,
              head: node.head ?? null,
              method: node.disagreement?.method ?? 'unknown',
              said: node.disagreement?.said ?? 'unknown',
              majority: node.disagreement?.majority ?? 'unknown',
            }),
          );
          break;
        case 'wrong-chain':
          findings.push(
            finding('ledger', 'fail', 'node.wrongChain', {
              url,
              chainId: profile.chainId,
              reason: node.lastError ?? 'another chain id',
            }),
          );
          break;
        default:
          findings.push(
            finding('ledger', 'warn', 'node.down', { url, reason: node.lastError ?? 'no answer' }),
          );
      }
    }
    const facts = {
      answering: answering.length,
      nodes: nodes.length,
      quorum: quorumOf(nodes.length),
      chainId: profile.chainId,
    };
    findings.push(
      answering.length >= facts.quorum
        ? finding('ledger', 'ok', 'ledger.quorum', facts)
        : finding('ledger', 'fail', 'ledger.noQuorum', facts),
    );
    return findings;
  },
};
