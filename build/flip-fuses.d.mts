/** Types of build/flip-fuses.mjs (see there). */
import type { FuseConfig } from '@electron/fuses';

/** The members of electron-builder's AfterPackContext the hook reads. */
export interface FusePackContext {
  appOutDir: string;
  electronPlatformName: string;
  /** builder-util's Arch: 0 ia32, 1 x64, 2 armv7l, 3 arm64, 4 universal. */
  arch: number;
  packager: { appInfo: { productFilename: string }; executableName?: string };
}

export declare function fuseConfig(platform: string, arch: string | undefined): FuseConfig;
export declare function electronBinaryPath(context: FusePackContext): string;
export default function afterPack(context: FusePackContext): Promise<void>;
