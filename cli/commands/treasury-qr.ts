/**
 * signet treasury qr | scan
 *
 * An approval bundle as an animated QR sequence of PNG frames, for an approver
 * whose machine never touches a network: `qr` writes the frames (and an index),
 * `scan` decodes frames in any order, with gaps, and writes the bundle once the
 * fountain code has every fragment. Nothing is written from an incomplete scan.
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SignetError } from '../../core/api/errors.js';
import {
  decodeBundle,
  encodeBundle,
  MAX_APPROVAL_FILE_BYTES,
} from '../../core/treasury/bundle-codec.js';
import { APPROVAL_UR_TYPE, ApprovalQrDecoder } from '../../core/treasury/bundle-qr.js';
import {
  QR_ERROR_CORRECTION,
  readQrImage,
  renderApprovalFrames,
} from '../../core/treasury/qr-images.js';
import type { CliContext } from '../context.js';
import { frameFileName, readLimited, writeAtomically } from '../files.js';

/** A frame image is a few kilobytes; anything far larger is not one. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export function registerTreasuryQrCommands(program: Command, context: CliContext): void {
  const treasury =
    program.commands.find((c) => c.name() === 'treasury') ??
    program.command('treasury').description('treasuries');

  treasury
    .command('qr')
    .description('render an approval bundle as an animated QR sequence: numbered PNG frames')
    .argument('<file>', '.signet-approval file')
    .requiredOption('--out <dir>', 'folder for the frames (made if missing)')
    .option('--fragment-size <bytes>', 'payload bytes per frame, 10 to 2000 (default 200)')
    .option(
      '--frames <n>',
      'frames to render (default three times the fragments: fountain mixes after them)',
    )
    .option('--json', 'machine-readable output')
    .action(
      (
        file: string,
        flags: { out: string; fragmentSize?: string; frames?: string; json?: boolean },
      ) =>
        context.run(
          flags,
          async () => {
            const bundle = await decodeBundle(
              readLimited(file, MAX_APPROVAL_FILE_BYTES, 'an approval bundle'),
            );
            const rendered = await renderApprovalFrames(bundle, {
              ...(flags.fragmentSize !== undefined
                ? { fragmentLength: integer(flags.fragmentSize, '--fragment-size') }
                : {}),
              ...(flags.frames !== undefined ? { frames: integer(flags.frames, '--frames') } : {}),
            });
            const files = rendered.images.map((_, i) => frameFileName(i, rendered.images.length));
            try {
              mkdirSync(flags.out, { recursive: true });
              for (const [i, png] of rendered.images.entries()) {
                writeFileSync(join(flags.out, files[i]!), png);
              }
              const index = {
                type: APPROVAL_UR_TYPE,
                fragments: rendered.fragments,
                fragmentSize: rendered.fragmentLength,
                errorCorrection: QR_ERROR_CORRECTION,
                frames: files,
              };
              writeFileSync(join(flags.out, 'index.json'), `${JSON.stringify(index, null, 2)}\n`);
            } catch (error) {
              const reason = (error as NodeJS.ErrnoException).code ?? 'unwritable';
              throw new SignetError(
                'FILE_INVALID',
                `cannot write the frames to ${flags.out} (${reason})`,
              );
            }
            return {
              dir: flags.out,
              frames: files.length,
              fragments: rendered.fragments,
              fragmentSize: rendered.fragmentLength,
              errorCorrection: QR_ERROR_CORRECTION,
            };
          },
          (r) =>
            `wrote ${r.frames} frames to ${r.dir} (${r.fragments} fragments of ${r.fragmentSize} bytes, error correction ${r.errorCorrection}; index.json)`,
        ),
    );

  treasury
    .command('scan')
    .description('decode QR frames (PNG images, any order) into an approval bundle')
    .argument('<inputs...>', 'a folder of PNG frames, or frame files')
    .requiredOption('--out <file>', 'the .signet-approval file to write once complete')
    .option('--json', 'machine-readable output')
    .action((inputs: string[], flags: { out: string; json?: boolean }) =>
      context.run(
        flags,
        async () => {
          const decoder = new ApprovalQrDecoder();
          const files = frameFiles(inputs);
          for (const path of files) {
            // As a camera does: once every fragment is in, the remaining frames are not read.
            if (decoder.progress().complete) break;
            // Decoding is synchronous: let the event loop breathe between frames.
            await new Promise((resolve) => setImmediate(resolve));
            const text = readQrImage(readLimited(path, MAX_FRAME_BYTES, 'a QR frame'), path);
            try {
              decoder.receive(text);
            } catch (error) {
              if (error instanceof SignetError) {
                throw new SignetError(error.code, `${path}: ${error.message}`, {
                  details: error.details,
                  cause: error,
                });
              }
              throw error;
            }
          }
          const progress = decoder.progress();
          if (!progress.complete) {
            throw new SignetError(
              'BUNDLE_INVALID',
              `${progress.received} of ${progress.needed || '?'} fragments: show more frames (nothing written)`,
              { details: { reason: 'qr-incomplete' } },
            );
          }
          writeAtomically(flags.out, await encodeBundle(await decoder.result()), {
            what: 'the bundle',
            exclusive: true,
          });
          return {
            file: flags.out,
            framesUsed: progress.frames,
            framesGiven: files.length,
            fragments: progress.needed,
          };
        },
        (r) =>
          `complete after ${r.framesUsed} of ${r.framesGiven} frames (${r.fragments} fragments): wrote ${r.file}`,
      ),
    );
}

/** PNG files of a folder (sorted by name: the order does not matter) and files named directly. */
function frameFiles(inputs: string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new SignetError('FILE_INVALID', `cannot read ${input} (${reason})`);
    }
    if (!isDir) files.push(input);
    else
      files.push(
        ...readdirSync(input)
          .filter((name) => name.toLowerCase().endsWith('.png'))
          .sort()
          .map((name) => join(input, name)),
      );
  }
  if (files.length === 0)
    throw new SignetError('FILE_INVALID', `no PNG frames in ${inputs.join(', ')}`);
  return files;
}

function integer(text: string, flag: string): number {
  if (!/^[1-9]\d{0,4}$/.test(text)) {
    throw new SignetError('INVALID_ARGUMENT', `${flag} must be a positive integer, not "${text}"`);
  }
  return Number(text);
}
