/**
 * One contract read (eth_call) at an explicit block through the RpcPool. Reads
 * whose answer depends on the height name the block, so nodes at different heads
 * can be cross-checked against each other (see core/rpc/rpc-pool.ts).
 */
import {
  type Abi,
  type Address,
  decodeFunctionResult,
  encodeFunctionData,
  type Hex,
  toHex,
} from 'viem';
import type { RpcPool } from '../rpc/rpc-pool.js';

export async function readAtBlock<T>(
  rpc: RpcPool,
  call: { to: Address; abi: Abi; functionName: string; args: readonly unknown[] },
  block: number,
  crossCheck = false,
): Promise<T> {
  const { to, abi, functionName, args } = call;
  const data = encodeFunctionData({ abi, functionName, args } as never);
  const result = await rpc.request<Hex>('eth_call', [{ to, data }, toHex(block)], {
    crossCheck,
    atBlock: block,
  });
  return decodeFunctionResult({ abi, functionName, data: result } as never) as T;
}
