/**
 * The Intercom emulator's seed: an export directory (conversations.jsonl, contacts.jsonl, admins.jsonl,
 * optional tags.jsonl, attachment files) in Intercom's REST 2.x shapes, or the same lists in process.
 * A bad line is a PmError naming file:line.
 */
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import type { IcObject, IntercomSeed } from './types.js';

const WHAT = 'Intercom emulator seed';
const HINT = 'An export directory holds conversations.jsonl (each conversation with all its conversation_parts), contacts.jsonl and admins.jsonl, optionally tags.jsonl; ids are strings, times unix seconds.';

type Section = keyof IntercomSeed;
const FILES: Record<Section, { file: string; required: boolean }> = {
  conversations: { file: 'conversations.jsonl', required: true },
  contacts: { file: 'contacts.jsonl', required: true },
  admins: { file: 'admins.jsonl', required: true },
  tags: { file: 'tags.jsonl', required: false },
};

type Origin = (section: Section, index: number) => { label: string; file: string; line?: number };
const isObj = (v: unknown): v is IcObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSecs = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e11;

/** Checks a seed given in process (or read by loadIntercomSeed); returns it unchanged. */
export function checkIntercomSeed(seed: IntercomSeed, source = 'options.seed', origin?: Origin): IntercomSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) }, hint: HINT });
  };
  const out: IntercomSeed = {};
  const partIds = new Set<string>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const ids = new Set<string>();
    (v as unknown[]).forEach((o, i) => {
      if (!isObj(o)) fail(section, i, 'must be a JSON object');
      const r = o as IcObject;
      if (typeof r.id !== 'string' || r.id === '') fail(section, i, `"id" must be a non-empty string (Intercom ids are strings; got ${JSON.stringify(r.id)})`);
      if (ids.has(r.id as string)) fail(section, i, `id ${String(r.id)} is used twice`);
      ids.add(r.id as string);
      for (const k of ['created_at', 'updated_at', 'deleted_at']) if (r[k] !== undefined && r[k] !== null && !isSecs(r[k])) fail(section, i, `"${k}" must be unix seconds (got ${JSON.stringify(r[k])})`);
      if (section !== 'conversations') return;
      if (r.state !== undefined && !['open', 'closed', 'snoozed'].includes(r.state as string)) fail(section, i, '"state" must be open, closed or snoozed');
      const cp = r.conversation_parts;
      if (cp === undefined) return;
      if (!isObj(cp) || !Array.isArray(cp.conversation_parts)) fail(section, i, '"conversation_parts" must be {"type":"conversation_part.list","conversation_parts":[…]}');
      ((cp as IcObject).conversation_parts as unknown[]).forEach((p, j) => {
        if (!isObj(p) || typeof p.id !== 'string' || p.id === '') fail(section, i, `conversation_parts[${j}] needs a string id`);
        const part = p as IcObject;
        if (partIds.has(part.id as string)) fail(section, i, `conversation_parts[${j}].id ${String(part.id)} is used twice`);
        partIds.add(part.id as string);
        if (!isSecs(part.created_at)) fail(section, i, `conversation_parts[${j}].created_at must be unix seconds`);
      });
    });
    out[section] = v as IcObject[];
  }
  return out;
}

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

async function readJsonl(file: string, required: boolean): Promise<{ records: IcObject[]; lines: number[] } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new PmError('emulator.seed-unreadable', `cannot read ${WHAT} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { location: { file }, hint: HINT, cause: e });
  }
  const records: IcObject[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((raw, n) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw) as unknown;
    } catch (e) {
      throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${file}:${n + 1}: not JSON (${(e as Error).message})`, { location: { file, line: n + 1 }, hint: HINT });
    }
    if (!isObj(v)) throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${file}:${n + 1}: each line must be a JSON object`, { location: { file, line: n + 1 }, hint: HINT });
    records.push(v);
    lines.push(n + 1);
  });
  return { records, lines };
}

/** Reads an export directory (see IntercomSeed) and checks it; attachments' local_path are resolved against it (or its parent). */
export async function loadIntercomSeed(dir: string): Promise<IntercomSeed> {
  const root = resolve(dir);
  if (!(await exists(root)) || !(await stat(root)).isDirectory()) throw new PmError('emulator.seed-unreadable', `cannot read ${WHAT} ${root}: not a directory`, { location: { file: root }, hint: HINT });
  const seed: IntercomSeed = {};
  const lines = new Map<Section, number[]>();
  for (const [section, { file, required }] of Object.entries(FILES) as Array<[Section, { file: string; required: boolean }]>) {
    const read = await readJsonl(join(root, file), required);
    if (!read) continue;
    seed[section] = read.records;
    lines.set(section, read.lines);
  }
  const checked = checkIntercomSeed(seed, root, (section, index) => {
    const file = join(root, FILES[section].file);
    const line = lines.get(section)?.[index];
    return { label: line === undefined ? file : `${file}:${line}`, file, ...(line !== undefined ? { line } : {}) };
  });
  const holders = (checked.conversations ?? []).flatMap((c) => [
    ...(isObj(c.source) ? [c.source] : []),
    ...(isObj(c.conversation_parts) && Array.isArray(c.conversation_parts.conversation_parts) ? (c.conversation_parts.conversation_parts as IcObject[]) : []),
  ]);
  for (const h of holders) {
    for (const a of Array.isArray(h.attachments) ? (h.attachments as IcObject[]) : []) {
      if (typeof a.local_path !== 'string') continue;
      const p = a.local_path;
      for (const cand of isAbsolute(p) ? [p] : [join(root, p), join(dirname(root), p)]) {
        if ((await exists(cand)) && (await stat(cand)).isFile()) {
          a.local_path = cand;
          break;
        }
      }
    }
  }
  return checked;
}
