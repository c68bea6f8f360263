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

/** The offset in `pool` of 16 fresh random bytes. */
function randomBytes(): number {
  if (next === POOL_UUIDS) {
    randomFillSync(pool);
    next = 0;
  }
  return 16 * next++;
}

/** Byte `i` of a UUID as its two hex digits, in its place in `into`. */
function hexAt(into: Buffer, i: number, b: number): void {
  const at = AT[i]!;
  into[at] = HEX[b >> 4]!;
  into[at + 1] = HEX[b & 0x0f]!;
}

/** Bytes `from`..15 of `into` random, with the version and the variant (10) set; the UUID's text. */
function randomFrom(into: Buffer, from: number, version: number): string {
  const o = randomBytes();
  for (let i = from; i < 16; i++) {
    let b = pool[o + i]!;
    if (i === 6) b = (b & 0x0f) | (version << 4);
    else if (i === 8) b = (b & 0x3f) | 0x80;
    hexAt(into, i, b);
  }
  return into.toString('latin1', 0, 36);
}

/** A random (version 4, RFC 9562) UUID in lower-case text, as crypto.randomUUID gives. */
export function uuid(): string {
  return randomFrom(text, 0, 4);
}

// uuidv7's own text: its first 13 characters (the time) change once a millisecond.
const text7 = Buffer.from(text);
let text7Ms = -1;

/**
 * A time-ordered (version 7, RFC 9562) UUID: the Unix time in milliseconds in
 * its first 48 bits, then 74 random bits. The bus gives one to every event
 * published without an id, and the store keeps a unique index of ids
 * (src/bus/store-sql.ts ensureUniqueIds): ids that rise with time are added at
 * the index's end, where random ones land on a different page each, which
 * cost an insert about twice as much (bench/store-ids.js).
 */
export function uuidv7(ms: number = Date.now()): string {
  if (ms !== text7Ms) {
    text7Ms = ms;
    const hi = Math.floor(ms / 2 ** 32);
    const lo = ms >>> 0;
    const time = [(hi >>> 8) & 0xff, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
    for (let i = 0; i < 6; i++) hexAt(text7, i, time[i]!);
  }
  return randomFrom(text7, 6, 7);
}
