/**
 * JSON-RPC error objects, typed: the standard codes (JSON-RPC 2.0), the Ethereum
 * ones (EIP-1474, and geth's 3 for reverts), and revert reasons decoded from the
 * error's data. A node that answers with one of these is working; the request is
 * what failed, so none of this triggers failover.
 */
import { decodeErrorResult, type Hex, isHex } from 'viem';
import { SignetError } from '../api/errors.js';

export const rpcErrorNames: Readonly<Record<number, string>> = {
  [-32700]: 'parse error',
  [-32600]: 'invalid request',
  [-32601]: 'method not found',
  [-32602]: 'invalid params',
  [-32603]: 'internal error',
  [-32000]: 'invalid input', // EIP-1474; geth and Besu also use it for "nonce too low" & co.
  [-32001]: 'resource not found',
  [-32002]: 'resource unavailable',
  [-32003]: 'transaction rejected',
  [-32004]: 'method not supported',
  [-32005]: 'limit exceeded',
  [-32006]: 'JSON-RPC version not supported',
  3: 'execution reverted', // geth, Erigon, Nethermind
};

/** Solidity's Panic(uint256) codes, in words. */
const panicReasons: Readonly<Record<number, string>> = {
  1: 'assertion failed',
  17: 'arithmetic overflow or underflow',
  18: 'division or modulo by zero',
  33: 'invalid enum value',
  34: 'corrupt storage byte array',
  49: 'pop from an empty array',
  50: 'array index out of bounds',
  65: 'out of memory',
  81: 'call to an uninitialised function',
};

/** The `error` member of a JSON-RPC response. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface ParsedRpcError {
  code: number;
  /** The standard name of the code, or 'server error' for the rest of −32000…−32099. */
  name: string;
  message: string;
  data?: unknown;
  /** Set when the call reverted: the revert payload, if the node returned it. */
  revert?: { data?: Hex; reason: string };
}

export function isRpcErrorObject(value: unknown): value is RpcErrorObject {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return Number.isInteger(code) && typeof message === 'string';
}

export function rpcErrorName(code: number): string {
  return rpcErrorNames[code] ?? (code <= -32000 && code >= -32099 ? 'server error' : 'error');
}

export function parseRpcError(error: RpcErrorObject): ParsedRpcError {
  const parsed: ParsedRpcError = {
    code: error.code,
    name: rpcErrorName(error.code),
    message: oneLine(error.message),
    data: error.data,
  };
  const data = revertData(error.data);
  if (data !== undefined) parsed.revert = { data, reason: decodeRevertReason(data) };
  else if (error.code === 3 || /\brevert/i.test(error.message))
    parsed.revert = { reason: 'no reason given' };
  return parsed;
}

/**
 * The revert payload inside an error's `data`: geth and Besu put the hex string
 * there, Hardhat and Ganache an object `{ message, data: hex }`.
 */
export function revertData(data: unknown, depth = 0): Hex | undefined {
  if (typeof data === 'string') return isRevertPayload(data) ? data : undefined;
  if (typeof data !== 'object' || data === null || depth > 2) return undefined;
  return revertData((data as { data?: unknown }).data, depth + 1);
}

// Empty ('0x', a bare revert()) or a 4-byte selector and 32-byte words.
function isRevertPayload(value: string): value is Hex {
  return (
    isHex(value) && (value.length === 2 || (value.length >= 10 && (value.length - 10) % 64 === 0))
  );
}

/** 'insufficient allowance', 'panic 0x11 (arithmetic overflow or underflow)', 'custom error 0x…'. */
export function decodeRevertReason(data: Hex): string {
  if (data === '0x') return 'no reason given';
  try {
    const decoded = decodeErrorResult({ data });
    if (decoded.errorName === 'Error') return oneLine(String(decoded.args[0])) || 'empty reason';
    if (decoded.errorName === 'Panic') {
      const code = Number(decoded.args[0]);
      return `panic 0x${code.toString(16).padStart(2, '0')} (${panicReasons[code] ?? 'unknown panic code'})`;
    }
  } catch {
    // A custom error (its ABI is the caller's business), or a malformed payload.
  }
  return `custom error ${data.slice(0, 10)}`;
}

/** The SignetError for a JSON-RPC error answer; `extra` adds e.g. the batch index. */
export function rpcError(
  method: string,
  error: RpcErrorObject,
  extra: Record<string, unknown> = {},
): SignetError {
  const parsed = parseRpcError(error);
  const message = parsed.revert
    ? `transaction reverted: ${parsed.revert.reason}`
    : `${method} failed: ${parsed.message} (${parsed.name}, code ${parsed.code})`;
  return new SignetError('RPC_ERROR', message, {
    details: {
      method,
      rpcCode: parsed.code,
      rpcName: parsed.name,
      rpcMessage: parsed.message,
      data: parsed.data,
      ...(parsed.revert && { revertReason: parsed.revert.reason, revertData: parsed.revert.data }),
      ...extra,
    },
  });
}

/** Text from a node or a contract: one line, control characters out, capped. */
function oneLine(text: string, max = 200): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
