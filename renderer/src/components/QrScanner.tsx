/**
 * The camera, reading QR codes while it is mounted: asks the app for the
 * camera (in Electron, `window.signet.setScanning(true)` lets main's permission
 * policy grant it; a browser asks in its own prompt), shows the video, and
 * decodes frames with jsQR from an off-screen canvas. Each new text read goes
 * to `onText`; the parent decides what it is and unmounts the scanner when it
 * has what it wanted. Unmounting stops every track and turns the camera
 * permission off again.
 */
import jsQR from 'jsqr';
import { useEffect, useRef } from 'react';
import { setScanning } from '../api.js';

/** Why the camera did not open: not allowed, not there, or anything else. */
export type CameraProblem = 'denied' | 'missing' | 'failed';

/** How often a frame is decoded: enough for a code held up to the camera, light on the CPU. */
const FRAME_MS = 120;
/** Frames are decoded at most this wide: a QR code held up fills much of the picture. */
const MAX_WIDTH = 960;

function problemOf(error: unknown): CameraProblem {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') return 'denied';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'missing';
  return 'failed';
}

export function QrScanner({
  label,
  onText,
  onProblem,
}: {
  /** The video's accessible name. */
  label: string;
  /** Each text read that differs from the one before. */
  onText(text: string): void;
  /** The camera did not open; the scanner has already stopped. */
  onProblem(problem: CameraProblem): void;
}) {
  const video = useRef<HTMLVideoElement>(null);
  // The latest callbacks, without restarting the camera when the parent re-renders.
  const callbacks = useRef({ onText, onProblem });
  callbacks.current = { onText, onProblem };

  useEffect(() => {
    let stopped = false;
    let stream: MediaStream | undefined;
    let timer: number | undefined;
    let last: string | undefined;
    const canvas = document.createElement('canvas');
    const context = canvas.getContext('2d', { willReadFrequently: true });

    const stop = () => {
      if (stopped) return;
      stopped = true;
      window.clearTimeout(timer);
      for (const track of stream?.getTracks() ?? []) track.stop();
      stream = undefined;
      void setScanning(false);
    };

    const decode = () => {
      if (stopped) return;
      const v = video.current;
      if (v && context && v.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && v.videoWidth) {
        const scale = Math.min(1, MAX_WIDTH / v.videoWidth);
        const width = Math.round(v.videoWidth * scale);
        const height = Math.round(v.videoHeight * scale);
        canvas.width = width;
        canvas.height = height;
        context.drawImage(v, 0, 0, width, height);
        const code = jsQR(context.getImageData(0, 0, width, height).data, width, height, {
          inversionAttempts: 'dontInvert',
        });
        if (code && code.data !== last) {
          last = code.data;
          callbacks.current.onText(code.data);
        }
      }
      if (!stopped) timer = window.setTimeout(decode, FRAME_MS);
    };

    const start = async () => {
      try {
        if (!navigator.mediaDevices?.getUserMedia) {
          throw new DOMException('no camera API', 'NotFoundError');
        }
        await setScanning(true);
        const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
        if (stopped) {
          for (const track of media.getTracks()) track.stop();
          return;
        }
        stream = media;
        const v = video.current;
        if (!v) throw new DOMException('no video element', 'AbortError');
        v.srcObject = media;
        await v.play();
        decode();
      } catch (error) {
        if (stopped) return;
        stop();
        callbacks.current.onProblem(problemOf(error));
      }
    };

    void start();
    return stop;
  }, []);

  return <video ref={video} className="qr-video" aria-label={label} muted playsInline />;
}
