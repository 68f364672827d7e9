/**
 * The HelpSpot emulator's seed: a directory (requests.jsonl, staff.jsonl, optional categories.jsonl and
 * statuses.jsonl, attachment files) in HelpSpot's `output=json` shapes with `fRawValues=1`, or the same lists
 * in process. A bad line is a PmError naming file:line.
 */
import { PmError } from '../../core/errors.js';
import { readJsonlDir, resolveLocalPaths, type SeedOrigin } from '../common/seed.js';
import type { HelpSpotSeed, HsObject } from './types.js';

const WHAT = 'HelpSpot emulator seed';
const HINT = 'A seed directory holds requests.jsonl (private.request.get answers with fRawValues=1, history under request_history.item) and staff.jsonl, optionally categories.jsonl and statuses.jsonl; one JSON object per line.';

type Section = keyof HelpSpotSeed;
const FILES: Record<Section, { file: string; required: boolean; key: string }> = {
  requests: { file: 'requests.jsonl', required: true, key: 'xRequest' },
  staff: { file: 'staff.jsonl', required: true, key: 'xPerson' },
  categories: { file: 'categories.jsonl', required: false, key: 'xCategory' },
  statuses: { file: 'statuses.jsonl', required: false, key: 'xStatus' },
};

export type Origin = SeedOrigin<Section>;

const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;

/** The history items of a request, whether `item` is a list or (one item) an object. */
export function historyItems(r: HsObject): HsObject[] {
  const h = r.request_history as { item?: unknown } | undefined;
  const item = h?.item;
  if (Array.isArray(item)) return item as HsObject[];
  if (typeof item === 'object' && item !== null) return [item as HsObject];
  return [];
}

/** The files of a history item (`files.file[]`, §6 source-formats). */
export function itemFiles(i: HsObject): HsObject[] {
  const f = (i.files as { file?: unknown } | undefined)?.file;
  if (Array.isArray(f)) return f as HsObject[];
  if (typeof f === 'object' && f !== null) return [f as HsObject];
  return [];
}

/** Checks a seed given in process (or read by loadHelpSpotSeed); returns it unchanged. */
export function checkHelpSpotSeed(seed: HelpSpotSeed, source = 'options.seed', origin?: Origin): HelpSpotSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) }, hint: HINT });
  };
  const out: HelpSpotSeed = {};
  const historyIds = new Set<number>();
  const documentIds = new Set<number>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const key = FILES[section].key;
    const ids = new Set<number>();
    (v as unknown[]).forEach((o, i) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(section, i, 'must be a JSON object');
      const r = o as HsObject;
      if (!isInt(r[key], section === 'statuses' ? 1 : 1)) fail(section, i, `"${key}" must be an integer ≥ 1 (got ${JSON.stringify(r[key])})`);
      if (ids.has(r[key] as number)) fail(section, i, `${key} ${String(r[key])} is used twice`);
      ids.add(r[key] as number);
      if (section !== 'requests') return;
      for (const k of ['dtGMTOpened', 'dtGMTClosed', 'dtGMTTrashed']) {
        if (r[k] !== undefined && r[k] !== null && !isInt(r[k], 0)) fail(section, i, `"${k}" must be unix seconds (fRawValues=1), not ${JSON.stringify(r[k])}`);
      }
      for (const k of ['fOpen', 'fTrash', 'fUrgent']) if (r[k] !== undefined && r[k] !== 0 && r[k] !== 1) fail(section, i, `"${k}" must be 0 or 1`);
      if (r.xStatus !== undefined && !isInt(r.xStatus, 1)) fail(section, i, '"xStatus" must be a status id (fRawValues=1), e.g. 1 Active, 2 Spam');
      const items = historyItems(r);
      if (items.length === 0) fail(section, i, 'request_history.item must hold at least the initial note');
      items.forEach((h, j) => {
        if (!isInt(h.xRequestHistory, 1)) fail(section, i, `request_history.item[${j}].xRequestHistory must be an integer ≥ 1`);
        if (historyIds.has(h.xRequestHistory as number)) fail(section, i, `request_history.item[${j}].xRequestHistory ${String(h.xRequestHistory)} is used twice`);
        historyIds.add(h.xRequestHistory as number);
        if (h.xRequest !== undefined && h.xRequest !== r.xRequest) fail(section, i, `request_history.item[${j}].xRequest must be the request's own (${String(r.xRequest)})`);
        if (!isInt(h.dtGMTChange, 1)) fail(section, i, `request_history.item[${j}].dtGMTChange must be unix seconds`);
        if (!(typeof h.xPerson === 'number' && Number.isInteger(h.xPerson) && h.xPerson >= -1)) fail(section, i, `request_history.item[${j}].xPerson must be > 0 (staff), 0 (customer) or -1 (system)`);
        itemFiles(h).forEach((f, k) => {
          if (!isInt(f.xDocumentId, 1)) fail(section, i, `request_history.item[${j}].files.file[${k}].xDocumentId must be an integer ≥ 1`);
          if (documentIds.has(f.xDocumentId as number)) fail(section, i, `xDocumentId ${String(f.xDocumentId)} is used twice`);
          documentIds.add(f.xDocumentId as number);
          if (typeof f.sFilename !== 'string' || f.sFilename === '') fail(section, i, `request_history.item[${j}].files.file[${k}].sFilename must be a non-empty string`);
        });
      });
    });
    out[section] = v as HsObject[];
  }
  return out;
}

/** Reads a seed directory (see HelpSpotSeed) and checks it; files' local_path are resolved against it (or its parent). */
export async function loadHelpSpotSeed(dir: string): Promise<HelpSpotSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  const checked = checkHelpSpotSeed(seed, root, origin);
  await resolveLocalPaths(root, (checked.requests ?? []).flatMap((r) => historyItems(r).flatMap((h) => itemFiles(h))));
  return checked;
}
