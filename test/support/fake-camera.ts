/**
 * A FAKE camera for the UI tests: there is no camera on this machine. Chromium
 * plays a Y4M video file as its one camera when launched with
 * `fakeCameraArgs(file)`; `writeFakeCameraVideo` writes that file, showing a
 * QR code of some text (or nothing: a white picture), or, with
 * `writeFakeCameraSequence`, an animated QR code: several texts one after another.
 *
 * Chromium opens the file again each time a page opens the camera, so a test
 * may launch the browser with the file's path first and write what the camera
 * shows just before the page asks for it.
 */
import { writeFileSync } from 'node:fs';
import { create } from 'qrcode';

export const FAKE_CAMERA_WIDTH = 640;
export const FAKE_CAMERA_HEIGHT = 480;

/** Luma of black and white in video range; chroma 128 is grey (no colour). */
const BLACK = 16;
const WHITE = 235;
const NO_COLOUR = 128;
const QUIET_ZONE = 4;

/** Chromium's own switches: no permission prompt, the fake device, and this file as its video. */
export function fakeCameraArgs(file: string): string[] {
  return [
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${file}`,
  ];
}

/**
 * One 640×480 4:2:0 frame (the Y plane, then U, then V): `text` as a QR code
 * (error correction M), black on white, centred, `scale` pixels per module
 * with a four-module quiet zone; white all over when `text` is null.
 */
export function fakeCameraFrame(text: string | null, scale = 4): Buffer {
  const width = FAKE_CAMERA_WIDTH;
  const height = FAKE_CAMERA_HEIGHT;
  const luma = Buffer.alloc(width * height, WHITE);
  if (text !== null) {
    const { modules } = create(text, { errorCorrectionLevel: 'M' });
    const side = (modules.size + 2 * QUIET_ZONE) * scale;
    if (side > height) {
      throw new Error(`a ${modules.size}-module QR code at ${scale} px does not fit ${height} px`);
    }
    const left = Math.floor((width - side) / 2) + QUIET_ZONE * scale;
    const top = Math.floor((height - side) / 2) + QUIET_ZONE * scale;
    for (let row = 0; row < modules.size; row++) {
      for (let col = 0; col < modules.size; col++) {
        if (!modules.get(row, col)) continue;
        for (let y = 0; y < scale; y++) {
          const start = (top + row * scale + y) * width + left + col * scale;
          luma.fill(BLACK, start, start + scale);
        }
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, NO_COLOUR);
  return Buffer.concat([luma, chroma]);
}

/** The Y4M header Chromium's fake capture reads: 640×480, 10 frames per second, 4:2:0. */
const Y4M_HEADER = `YUV4MPEG2 W${FAKE_CAMERA_WIDTH} H${FAKE_CAMERA_HEIGHT} F10:1 Ip A1:1 C420jpeg\n`;

/** Writes the FAKE camera's video: `frames` identical frames at 10 per second (Chromium loops it). */
export function writeFakeCameraVideo(file: string, text: string | null, frames = 3): void {
  const frame = Buffer.concat([Buffer.from('FRAME\n'), fakeCameraFrame(text)]);
  writeFileSync(file, Buffer.concat([Buffer.from(Y4M_HEADER), ...Array(frames).fill(frame)]));
}

/**
 * Writes the FAKE camera's video as an animated QR code: each of `texts` (the
 * parts of a BC-UR sequence) in turn, each held for `hold` video frames at 10
 * per second (a scanner decoding every ~120 ms reads each one at least once),
 * then the loop starts over, as a screen cycling through the parts does.
 */
export function writeFakeCameraSequence(
  file: string,
  texts: readonly string[],
  hold = 4,
  scale = 4,
): void {
  if (texts.length === 0) throw new Error('a QR sequence needs at least one text');
  const frames = texts.map((text) =>
    Buffer.concat([Buffer.from('FRAME\n'), fakeCameraFrame(text, scale)]),
  );
  const video = frames.flatMap((frame) => Array<Buffer>(hold).fill(frame));
  writeFileSync(file, Buffer.concat([Buffer.from(Y4M_HEADER), ...video]));
}
