/** The part of pngjs (a dependency of qrcode, which ships no types) that qr-images.ts uses. */
declare module 'pngjs' {
  export const PNG: {
    sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } };
  };
}
