/** Signet's config file: `config.json` in the data directory. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SignetError } from '../api/errors.js';
import { signetHome } from './paths.js';
import { closeToOthers, writePrivateFile } from './private-files.js';

export const configSchema = z
  .object({
    /** PKCS#11 module paths to use besides the ones discovered. */
    modules: z.array(z.string().min(1)).default([]),
    /** The offline purse (issue 13). */
    purse: z
      .object({
        /** The operator bank's collection service: certificates, and vouchers deposited there. */
        collectionService: z.string().url().optional(),
        /** Pending offline income accepted at most, in minor units (default 50000: 500.00). */
        receiveLimit: z
          .string()
          .regex(/^\d{1,30}$/, 'minor units, digits only')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type SignetConfig = z.infer<typeof configSchema>;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(signetHome(env), 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): SignetConfig {
  const path = configPath(env);
  if (!existsSync(path)) return configSchema.parse({});
  closeToOthers(path);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new SignetError('INVALID_ARGUMENT', `config file ${path} is not valid JSON`, {
      cause: error,
    });
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SignetError(
      'INVALID_ARGUMENT',
      `config file ${path} is malformed: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

export function writeConfig(config: SignetConfig, env: NodeJS.ProcessEnv = process.env): void {
  writePrivateFile(configPath(env), `${JSON.stringify(configSchema.parse(config), null, 2)}\n`);
}
