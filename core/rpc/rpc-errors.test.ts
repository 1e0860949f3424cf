import { encodeErrorResult, parseAbi } from 'viem';
import { describe, expect, it } from 'vitest';
import {
  decodeRevertReason,
  parseRpcError,
  revertData,
  rpcError,
  rpcErrorName,
} from './rpc-errors.js';

const abi = parseAbi([
  'error Error(string)',
  'error Panic(uint256)',
  'error InsufficientAllowance(address spender, uint256 allowance, uint256 needed)',
]);
const errorString = (reason: string) =>
  encodeErrorResult({ abi, errorName: 'Error', args: [reason] });
const panic = (code: bigint) => encodeErrorResult({ abi, errorName: 'Panic', args: [code] });

describe('rpcErrorName', () => {
  it.each([
    [-32700, 'parse error'],
    [-32600, 'invalid request'],
    [-32601, 'method not found'],
    [-32602, 'invalid params'],
    [-32603, 'internal error'],
    [-32000, 'invalid input'],
    [-32003, 'transaction rejected'],
    [-32005, 'limit exceeded'],
    [-32042, 'server error'],
    [3, 'execution reverted'],
    [42, 'error'],
  ])('%i → %s', (code, name) => {
    expect(rpcErrorName(code)).toBe(name);
  });
});

describe('decodeRevertReason', () => {
  it('decodes Error(string) (selector 0x08c379a0)', () => {
    expect(errorString('x').slice(0, 10)).toBe('0x08c379a0');
    expect(decodeRevertReason(errorString('insufficient allowance'))).toBe(
      'insufficient allowance',
    );
  });

  it('decodes Panic(uint256) (selector 0x4e487b71) into words', () => {
    expect(panic(0x11n).slice(0, 10)).toBe('0x4e487b71');
    expect(decodeRevertReason(panic(0x11n))).toBe('panic 0x11 (arithmetic overflow or underflow)');
    expect(decodeRevertReason(panic(0x12n))).toBe('panic 0x12 (division or modulo by zero)');
    expect(decodeRevertReason(panic(0x99n))).toBe('panic 0x99 (unknown panic code)');
  });

  it('names a custom error by its selector; its ABI is the caller’s business', () => {
    const data = encodeErrorResult({
      abi,
      errorName: 'InsufficientAllowance',
      args: ['0x0000000000000000000000000000000000000001', 1n, 2n],
    });
    expect(decodeRevertReason(data)).toBe(`custom error ${data.slice(0, 10)}`);
  });

  it('keeps a hostile reason on one short line', () => {
    const reason = decodeRevertReason(errorString(`line one\nline two\u0007${'x'.repeat(500)}`));
    expect(reason).toMatch(/^line one line two x+…$/);
    expect(reason.length).toBe(200);
  });

  it('says so when there is no reason', () => {
    expect(decodeRevertReason('0x')).toBe('no reason given');
    expect(decodeRevertReason(errorString(''))).toBe('empty reason');
  });

  it('survives a truncated Error(string) payload', () => {
    expect(decodeRevertReason(`0x08c379a0${'00'.repeat(32)}`)).toBe('custom error 0x08c379a0');
  });
});

describe('revertData', () => {
  const data = errorString('no');
  it.each([
    ['geth/Besu: data is the hex', data, data],
    ['Hardhat: { message, data }', { message: 'reverted', data }, data],
    ['nested one more level', { data: { data } }, data],
    ['not revert data (Hardhat echoes the call)', { data: { method: 'eth_call' } }, undefined],
    ['odd-length hex', '0x08c379a0ff', undefined],
    ['nothing', undefined, undefined],
  ])('%s', (_name, input, expected) => {
    expect(revertData(input)).toBe(expected);
  });
});

describe('parseRpcError / rpcError', () => {
  it('Hardhat revert → "transaction reverted: <reason>"', () => {
    const error = rpcError('eth_call', {
      code: -32603,
      message:
        "Error: VM Exception while processing transaction: reverted with reason string 'insufficient allowance'",
      data: { message: '…', data: errorString('insufficient allowance') },
    });
    expect(error.code).toBe('RPC_ERROR');
    expect(error.message).toBe('transaction reverted: insufficient allowance');
    expect(error.details).toMatchObject({
      method: 'eth_call',
      rpcCode: -32603,
      revertReason: 'insufficient allowance',
    });
  });

  it('geth revert without data (code 3)', () => {
    expect(parseRpcError({ code: 3, message: 'execution reverted' }).revert).toEqual({
      reason: 'no reason given',
    });
  });

  it('a plain error names the method, the node’s words and the code', () => {
    const error = rpcError('eth_sendRawTransaction', { code: -32000, message: 'nonce too low' });
    expect(error.message).toBe(
      'eth_sendRawTransaction failed: nonce too low (invalid input, code -32000)',
    );
    expect(error.details).toMatchObject({ rpcCode: -32000, rpcName: 'invalid input' });
    expect(error.details).not.toHaveProperty('revertReason');
  });

  it('keeps a multi-line node message on one line', () => {
    const error = rpcError('eth_call', { code: -32602, message: 'bad\nparams' });
    expect(error.message).toBe('eth_call failed: bad params (invalid params, code -32602)');
  });
});
