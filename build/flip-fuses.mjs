/**
 * electron-builder's afterPack hook (build/electron-builder.yml): writes the
 * fuses of build/electron-fuses.mjs into the packaged Electron binary, after
 * packing and before signing, then reads them back. macOS arm64 binaries carry
 * an ad-hoc signature that the change invalidates: it is redone here (a real
 * signing identity signs over it afterwards).
 */
import { join } from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { Arch } from 'builder-util';
import { electronFuses } from './electron-fuses.mjs';

/** The bytes @electron/fuses writes for on and off ('1' and '0'). */
const ON = 49;
const OFF = 48;

/** @electron/fuses' config for one platform ('darwin', 'mas', 'win32', 'linux') and arch. */
export function fuseConfig(platform, arch) {
  const config = {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature:
      (platform === 'darwin' || platform === 'mas') && (arch === 'arm64' || arch === 'universal'),
  };
  for (const [name, on] of Object.entries(electronFuses)) {
    const index = FuseV1Options[name];
    if (typeof index !== 'number') throw new Error(`electron-fuses.mjs: no fuse named ${name}`);
    config[index] = on;
  }
  return config;
}

/** The file that holds the fuse wire: the .app (the framework inside it), .exe or executable. */
export function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const product = packager.appInfo.productFilename;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return join(appOutDir, `${product}.app`);
  }
  if (electronPlatformName === 'win32') return join(appOutDir, `${product}.exe`);
  return join(appOutDir, packager.executableName);
}

export default async function afterPack(context) {
  const binary = electronBinaryPath(context);
  await flipFuses(binary, fuseConfig(context.electronPlatformName, Arch[context.arch]));
  // Read back: a wire too short or unchanged must fail the build, not ship.
  const wire = await getCurrentFuseWire(binary);
  for (const [name, on] of Object.entries(electronFuses)) {
    const state = wire[FuseV1Options[name]];
    if (state !== (on ? ON : OFF)) {
      throw new Error(`fuse ${name} is not ${on ? 'on' : 'off'} in ${binary}`);
    }
  }
}
