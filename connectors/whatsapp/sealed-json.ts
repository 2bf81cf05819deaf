import { open, seal } from '../../platform/crypto/sealed-box.ts';

/** Seals a JSON text (already serialised, e.g. with BufferJSON.replacer). */
export function sealText(key: Buffer, json: string, aad: string): Buffer {
  return seal(key, Buffer.from(json, 'utf8'), aad);
}

/** Opens a value sealed by `sealText` and parses it with `reviver` (BufferJSON.reviver restores Buffers). */
export function openJsonText(key: Buffer, sealed: Buffer, aad: string, reviver: (key: string, value: unknown) => unknown): unknown {
  return JSON.parse(open(key, sealed, aad).toString('utf8'), reviver);
}
