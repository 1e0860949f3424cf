/**
 * The offline purse's handlers (core/api/purse.ts). Placeholder until the
 * flows in core/purse land: each answers INTERNAL in one line.
 */
import { SignetError } from '../api/errors.js';
import type { AppContext } from './app-context.js';
import type { Handlers } from './dispatcher.js';
import type { SyncDriver } from './sync-driver.js';

type PurseMethod =
  | 'purse.status'
  | 'purse.open'
  | 'purse.request'
  | 'purse.payPreview'
  | 'purse.pay'
  | 'purse.receive'
  | 'purse.settle'
  | 'purse.close';

export function purseHandlers(
  _context: AppContext,
  _sync: SyncDriver,
): Pick<Handlers, PurseMethod> {
  const notYet = async (): Promise<never> => {
    throw new SignetError('INTERNAL', 'the offline purse is not built yet');
  };
  return {
    'purse.status': notYet,
    'purse.open': notYet,
    'purse.request': notYet,
    'purse.payPreview': notYet,
    'purse.pay': notYet,
    'purse.receive': notYet,
    'purse.settle': notYet,
    'purse.close': notYet,
  };
}
