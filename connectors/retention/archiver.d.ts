// archiver 8 ships no type declarations; this is the part of its API the contact export uses.
declare module 'archiver' {
  import type { Readable, Writable } from 'node:stream';

  export class ZipArchive {
    constructor(options?: { zlib?: { level?: number } });
    pipe<T extends Writable>(destination: T): T;
    append(source: string | Buffer | Readable, data: { name: string; date?: Date }): this;
    finalize(): Promise<void>;
    pointer(): number;
    on(event: 'error' | 'warning', listener: (err: Error & { code?: string }) => void): this;
    /** An entry was read whole and written to the archive. */
    on(event: 'entry', listener: (entry: { name: string }) => void): this;
    off(event: 'error' | 'warning', listener: (err: Error & { code?: string }) => void): this;
    off(event: 'entry', listener: (entry: { name: string }) => void): this;
  }
}
