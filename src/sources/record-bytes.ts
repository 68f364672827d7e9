/**
 * Records an index keeps by their place in the source file (a `.jsonl` read as it is): the index holds
 * each record's byte offset and length, not a copy of its text, and reads the bytes back from the file
 * when a record is looked up. The file is the one the index was built from (its size, mtime and inode
 * name the index); that it stays so while it is read is checked when it is opened and every
 * CHECK_EVERY reads after, and a record that no longer parses stops the command the same way.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { PmError } from '../core/errors.js';
import { messageOf } from './diagnostics.js';

/** Reads between two checks that the file is still the one indexed. */
const CHECK_EVERY = 1_024;
/** A group's records are read in one piece when the bytes between them are at most this share of the piece. */
const GAP_SHARE = 0.25;

/** What names a file's version: an index records it at build time. */
export interface FileVersion {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export class RecordBytes {
  private reads = 0;

  private constructor(
    private readonly fd: number,
    private readonly file: string,
    private readonly version: FileVersion,
    private readonly label: string,
  ) {}

  /**
   * Opens `file` for reading records by place. `expected`: the version the index was built from; a file
   * that is no longer that version is an error (the index is rebuilt by the next command).
   */
  static open(file: string, expected?: FileVersion, label = file): RecordBytes {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw changed(label, `it can no longer be read (${messageOf(e)})`);
    }
    const now = versionOf(fstatSync(fd));
    if (expected && !sameVersion(now, expected)) {
      closeSync(fd);
      throw changed(label, 'it is not the file that was indexed');
    }
    return new RecordBytes(fd, file, expected ?? now, label);
  }

  /** The bytes of one record. */
  read(offset: number, length: number): Buffer {
    this.tick();
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) throw changed(this.label, `it ends before byte ${offset + length}`);
      done += n;
    }
    return buf;
  }

  /**
   * The JSON texts of records at these places, in order: records close together in the file (a ticket's
   * comments one after another) are read in one piece.
   */
  texts(offsets: readonly number[], lengths: readonly number[]): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < offsets.length) {
      // The longest run from i that is in file order with little between its records.
      let j = i;
      let used = lengths[i]!;
      while (j + 1 < offsets.length) {
        const next = offsets[j + 1]!;
        const end = offsets[j]! + lengths[j]!;
        if (next < end) break;
        const span = next + lengths[j + 1]! - offsets[i]!;
        if (span - (used + lengths[j + 1]!) > span * GAP_SHARE) break;
        used += lengths[j + 1]!;
        j++;
      }
      const start = offsets[i]!;
      const piece = this.read(start, offsets[j]! + lengths[j]! - start);
      for (let k = i; k <= j; k++) out.push(piece.toString('utf8', offsets[k]! - start, offsets[k]! - start + lengths[k]!));
      i = j + 1;
    }
    return out;
  }

  /** A record's text parsed; a text that is not JSON means the file changed under the index. */
  parse(text: string, offset: number): unknown {
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw changed(this.label, `the record at byte ${offset} is no longer JSON (${messageOf(e)})`);
    }
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  private tick(): void {
    if (++this.reads % CHECK_EVERY !== 0) return;
    let now: FileVersion;
    try {
      now = versionOf(fstatSync(this.fd));
    } catch (e) {
      throw changed(this.label, `it can no longer be read (${messageOf(e)})`);
    }
    if (!sameVersion(now, this.version)) throw changed(this.label, `${this.file} was written to`);
  }
}

function versionOf(st: Stats): FileVersion {
  return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** The same file, unchanged: same size, mtime and inode. */
export function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

function changed(label: string, why: string): PmError {
  return new PmError('source.changed', `source ${label} changed while it was being read: ${why}`, {
    hint: 'wait until the export is complete and no longer written to, then run the command again (the index is rebuilt)',
  });
}
