/**
 * The toolbar and store icons, drawn at build time: a gold coin with a darker rim and an "m" stamped
 * in the middle. Drawing them in code keeps binary files out of the repository and lets every size
 * be rendered crisply instead of scaled.
 * @module
 */
import { deflateSync } from 'node:zlib';

/** Icon sizes the manifest lists. */
export const ICON_SIZES = [16, 32, 48, 128] as const;

type Rgba = readonly [number, number, number, number];

const RIM: Rgba = [176, 112, 16, 255];
const FACE: Rgba = [245, 190, 60, 255];
const SHINE: Rgba = [252, 222, 130, 255];
const STAMP: Rgba = [150, 92, 10, 255];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes RGBA pixels (row-major, 4 bytes each) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Uint8Array {
  if (rgba.length !== width * height * 4) throw new RangeError('rgba must hold width * height pixels');
  const raw = new Uint8Array(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) {
    // Filter byte 0 (none) before every scanline.
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit depth, RGBA, deflate, no filter, no interlace
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())];
  // Not shared's concat: Vite loads this at config time through Node, which cannot import workspace .ts.
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** True when the unit-square point (x, y) lies on the stamped "m" (three legs and an arch). */
function onStamp(x: number, y: number): boolean {
  const top = 0.36;
  const bottom = 0.66;
  const stroke = 0.075;
  if (y < top - stroke || y > bottom) return false;
  const legs = [0.33, 0.5, 0.67];
  if (y >= top && legs.some((lx) => Math.abs(x - lx) <= stroke / 2)) return true;
  return y <= top && x >= legs[0]! - stroke / 2 && x <= legs[2]! + stroke / 2;
}

/**
 * Renders the coin icon at `size` pixels, 4x4 supersampled so the edge is smooth.
 * @example
 * const png = coinIcon(48); // bytes of a 48x48 PNG
 */
export function coinIcon(size: number): Uint8Array {
  const rgba = new Uint8Array(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          const r = Math.hypot(x - 0.5, y - 0.5);
          let c: Rgba | undefined;
          if (r <= 0.48) c = r >= 0.4 ? RIM : onStamp(x, y) ? STAMP : r < 0.3 && x + y < 0.62 ? SHINE : FACE;
          if (!c) continue;
          for (let i = 0; i < 4; i++) acc[i]! += c[i]!;
        }
      }
      const n = samples * samples;
      const alpha = acc[3]! / n;
      const o = (py * size + px) * 4;
      // Colour channels are averaged over covered samples only; coverage goes into alpha.
      const covered = acc[3]! / 255 || 1;
      rgba[o] = Math.round(acc[0]! / covered);
      rgba[o + 1] = Math.round(acc[1]! / covered);
      rgba[o + 2] = Math.round(acc[2]! / covered);
      rgba[o + 3] = Math.round(alpha);
    }
  }
  return encodePng(size, size, rgba);
}
