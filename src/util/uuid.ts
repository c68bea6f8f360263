import { randomFillSync } from 'node:crypto';

// Random bytes for 256 UUIDs at a time, and one scratch buffer the text is
// written into: a UUID costs one short string, where crypto.randomUUID builds
// it from some twenty concatenated pieces (it showed up in the bus's
// allocation profile, twice per event).
const POOL_UUIDS = 256;
const pool = Buffer.alloc(16 * POOL_UUIDS);
let next = POOL_UUIDS;
const text = Buffer.alloc(36);
const HEX = Buffer.from('0123456789abcdef');
// Where each of the 16 bytes goes in the 36 characters (dashes after bytes 4, 6, 8, 10).
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
text[8] = text[13] = text[18] = text[23] = 0x2d;

/** A random (version 4, RFC 9562) UUID in lower-case text, as crypto.randomUUID gives. */
export function uuid(): string {
  if (next === POOL_UUIDS) {
    randomFillSync(pool);
    next = 0;
  }
  const o = 16 * next++;
  for (let i = 0; i < 16; i++) {
    let b = pool[o + i]!;
    if (i === 6) b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // variant 10
    const at = AT[i]!;
    text[at] = HEX[b >> 4]!;
    text[at + 1] = HEX[b & 0x0f]!;
  }
  return text.toString('latin1', 0, 36);
}
