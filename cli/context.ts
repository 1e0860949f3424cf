/** What every command needs: the streams, the config, and a way to run and report. */
import { join } from 'node:path';
import { readConfig } from '../core/config/config.js';
import { signetHome } from '../core/config/paths.js';
import { DeviceService } from '../core/devices/device-service.js';
import { auditToFile } from '../core/store/audit-sink.js';
import { anyModule } from '../native/pkcs11/module-policy.js';
import type { CliIo } from './io.js';
import { printError, printResult } from './output.js';
import { cliPinProvider, type PinOptions } from './pin-source.js';

export interface CliContext {
  io: CliIo;
  deviceService(pins: PinOptions): DeviceService;
  /** Runs a command's work and prints its result or its error; sets the exit code. */
  run<T>(
    flags: { json?: boolean },
    work: () => T | Promise<T>,
    human: (result: T) => string,
  ): Promise<void>;
  exitCode: number;
  /** Work a long-running command (ledger up, sync --watch) does after printing. */
  afterOutput?: () => Promise<void>;
}

export function createContext(io: CliIo): CliContext {
  const context: CliContext = {
    io,
    exitCode: 0,
    deviceService: (pins) =>
      new DeviceService({
        pins: cliPinProvider(pins, io),
        configuredModules: readConfig(io.env).modules,
        // The operator runs as the user: `--module PATH` and `module-path=` may name any module.
        policy: anyModule,
        audit: auditToFile(join(signetHome(io.env), 'signet.sqlite')),
      }),
    async run(flags, work, human) {
      const json = flags.json === true;
      try {
        const result = await work();
        printResult(io, json, result, () => human(result));
        await context.afterOutput?.();
      } catch (error) {
        context.exitCode = printError(io, json, error);
      }
    },
  };
  return context;
}
