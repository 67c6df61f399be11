/** Crockford base32: digits and upper-case letters without I, L, O and U, in ASCII order so text order is numeric order. */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** One character per 5-bit value. */
export const CHAR: readonly string[] = [...CROCKFORD_ALPHABET];

/** Two characters per 10-bit value, so the hot path concatenates half as often. */
export const PAIR: readonly string[] = Array.from({ length: 1024 }, (_, v) => CHAR[v >>> 5] + CHAR[v & 31]);

/** 5-bit value of a char code, or -1. Case-insensitive; I and L read as 1, O as 0 (Crockford's decoding rules). */
export const DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let v = 0; v < 32; v++) {
    table[CROCKFORD_ALPHABET.charCodeAt(v)] = v;
    table[CROCKFORD_ALPHABET.toLowerCase().charCodeAt(v)] = v;
  }
  for (const [alias, v] of [
    ['I', 1],
    ['L', 1],
    ['O', 0],
  ] as const) {
    table[alias.charCodeAt(0)] = v;
    table[alias.toLowerCase().charCodeAt(0)] = v;
  }
  return table;
})();

/** The 13-character text of the 64-bit value `hi`·2³² + `lo` (both unsigned 32-bit). */
export function encode64(hi: number, lo: number): string {
  return (
    CHAR[hi >>> 28] +
    PAIR[(hi >>> 18) & 1023] +
    PAIR[(hi >>> 8) & 1023] +
    PAIR[((hi & 255) << 2) | (lo >>> 30)] +
    PAIR[(lo >>> 20) & 1023] +
    PAIR[(lo >>> 10) & 1023] +
    PAIR[lo & 1023]
  );
}
