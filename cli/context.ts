/**
 * What every command needs: the streams, and a way to run its work against the
 * app's handlers (core/app, the same ones the UI reaches) and report. A command
 * parses its flags, calls the handlers, prints: nothing else.
 */
import type { AppMethod, AppRequest, AppResult } from '../core/api/methods.js';
import { type AppApi, createAppApi } from '../core/app/app-api.js';
import { signetHome } from '../core/config/paths.js';
import type { CliIo } from './io.js';
import { printError, printResult } from './output.js';
import { cliPinProviders, type PinOptions } from './pin-source.js';
import { progressSink } from './progress-bar.js';

/** The app's handlers as a command sees them: one call per operation, with the command's PIN sources. */
export interface CliApp {
  call<M extends AppMethod>(
    method: M,
    request: AppRequest<M>,
    pins?: PinOptions,
  ): Promise<AppResult<M>>;
}

export interface CliContext {
  io: CliIo;
  /** Runs a command's work and prints its result or its error; sets the exit code. */
  run<T>(
    flags: { json?: boolean },
    work: (app: CliApp) => T | Promise<T>,
    human: (result: T) => string,
  ): Promise<void>;
  exitCode: number;
  /** Work a long-running command (ledger up) does after printing. */
  afterOutput?: () => Promise<void>;
}

const noPins: PinOptions = { files: {}, stdin: false };

/** `purpose` says what this command is to another process waiting for its lock ("signet sync --watch"). */
export function createContext(io: CliIo, purpose = 'signet'): CliContext {
  const context: CliContext = {
    io,
    exitCode: 0,
    async run(flags, work, human) {
      const json = flags.json === true;
      let api: AppApi | undefined;
      const app: CliApp = {
        call: (method, request, pins = noPins) => {
          api ??= createAppApi({
            home: signetHome(io.env),
            env: io.env,
            purpose,
            ...(io.hid ? { hid: io.hid } : {}),
            onEvent: progressSink(io),
            onInternalError: (method, error) => {
              // The one line says "internal error in …"; the cause, only when asked for.
              if (io.env.SIGNET_DEBUG)
                io.stderr.write(`signet: internal error in ${method}: ${describe(error)}\n`);
            },
          });
          const sources = cliPinProviders(pins, io);
          return api.call(method, request, sources.pins, sources.carrierPins);
        },
      };
      try {
        const result = await work(app);
        printResult(io, json, result, () => human(result));
        await context.afterOutput?.();
      } catch (error) {
        context.exitCode = printError(io, json, error);
      } finally {
        api?.close();
      }
    },
  };
  return context;
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
