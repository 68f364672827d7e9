/**
 * The installation the HelpSpot emulator serves, and the account-change hook (POST /__emulator/account).
 * As HelpSpot's database: HS_Request rows, one HS_Request_History table (in insertion order: getChanged reads
 * it with no ORDER BY and no DISTINCT, §6), staff, categories, statuses, documents and the merges. Every
 * change writes a history row at the emulator's clock (unix seconds), which is what getChanged sees.
 */
import { isAbsolute, resolve } from 'node:path';
import { historyItems, itemFiles } from './seed.js';
import type { HelpSpotSeed, HsObject } from './types.js';

/** HelpSpot's seeded spam status (hs_setting('cHD_STATUS_SPAM', 2)). */
export const SPAM_STATUS = 2;
export const DEFAULT_STATUSES: HsObject[] = [
  { xStatus: 1, sStatus: 'Active' },
  { xStatus: 2, sStatus: 'Spam' },
  { xStatus: 3, sStatus: 'Not Spam' },
];
const clone = <T>(v: T): T => structuredClone(v);
const isObject = (v: unknown): v is HsObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

export class AccountChangeError extends Error {}

export interface DocumentRecord {
  id: number;
  name: string;
  mime: string;
  localPath: string | undefined;
  size: number;
  xRequest: number;
  xRequestHistory: number;
}

export class HelpSpotStore {
  /** Request fields (no request_history) by xRequest. */
  requests = new Map<number, HsObject>();
  /** HS_Request_History, in insertion order. */
  history: HsObject[] = [];
  /** A merged request's id → the request it went into. */
  merged = new Map<number, number>();
  staff = new Map<number, HsObject>();
  categories = new Map<number, HsObject>();
  statuses: HsObject[] = [];
  documents = new Map<number, DocumentRecord>();
  private nextHistoryId = 1;

  constructor(
    private readonly seed: HelpSpotSeed,
    private readonly now: () => number,
  ) {
    this.reset();
  }

  reset(): void {
    this.requests.clear();
    this.history = [];
    this.merged.clear();
    this.staff.clear();
    this.categories.clear();
    this.documents.clear();
    this.nextHistoryId = 1;
    this.statuses = clone(this.seed.statuses ?? DEFAULT_STATUSES);
    for (const s of this.seed.staff ?? []) this.staff.set(s.xPerson as number, clone(s));
    for (const c of this.seed.categories ?? []) this.categories.set(c.xCategory as number, clone(c));
    const rows: HsObject[] = [];
    for (const r of this.seed.requests ?? []) {
      const { request_history: _h, ...fields } = clone(r);
      this.requests.set(r.xRequest as number, fields);
      for (const h of historyItems(r)) rows.push({ ...clone(h), xRequest: r.xRequest });
    }
    // The table's order is the order rows were written: by xRequestHistory.
    rows.sort((a, b) => (a.xRequestHistory as number) - (b.xRequestHistory as number));
    for (const h of rows) this.addRow(h);
  }

  private addRow(h: HsObject): void {
    this.history.push(h);
    this.nextHistoryId = Math.max(this.nextHistoryId, (h.xRequestHistory as number) + 1);
    for (const f of itemFiles(h)) {
      const local = typeof f.local_path === 'string' ? (isAbsolute(f.local_path) ? f.local_path : resolve(f.local_path)) : undefined;
      this.documents.set(f.xDocumentId as number, {
        id: f.xDocumentId as number,
        name: String(f.sFilename),
        mime: typeof f.sFileMimeType === 'string' ? f.sFileMimeType : 'application/octet-stream',
        localPath: local,
        size: typeof f.iFileSize === 'number' ? f.iFileSize : 64,
        xRequest: h.xRequest as number,
        xRequestHistory: h.xRequestHistory as number,
      });
    }
  }

  /** The id a request answers with: a merged id's target (followed through chains). */
  resolve(id: number): number | undefined {
    let cur = id;
    for (let i = 0; i < 100 && this.merged.has(cur); i++) cur = this.merged.get(cur)!;
    return this.requests.has(cur) ? cur : undefined;
  }

  /** `SELECT xRequest FROM HS_Request_History WHERE dtGMTChange > ?` (§6): duplicates, table order. */
  changedSince(t: number): number[] {
    return this.history.filter((h) => (h.dtGMTChange as number) > t).map((h) => h.xRequest as number);
  }

  /** A request's history, oldest first (then by id). */
  requestHistory(id: number): HsObject[] {
    return this.history.filter((h) => h.xRequest === id).sort((a, b) => (a.dtGMTChange as number) - (b.dtGMTChange as number) || (a.xRequestHistory as number) - (b.xRequestHistory as number));
  }

  private nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  /** A history row at now: a note, or an event-log row (empty tNote, tLog set) for a change. */
  private log(xRequest: number, fields: HsObject = {}): HsObject {
    const row: HsObject = {
      xRequestHistory: this.nextHistoryId,
      xRequest,
      xPerson: -1,
      dtGMTChange: this.nowSec(),
      fPublic: 0,
      fInitial: 0,
      fNoteIsHTML: 0,
      tNote: '',
      tLog: '',
      files: { file: [] },
      ...clone(fields),
    };
    row.xRequest = xRequest;
    this.addRow(row);
    return row;
  }

  // ------------------------------------------------------------ the account-change hook

  /** Checks the whole body first (nothing is applied when it is invalid), then applies it. Throws AccountChangeError. */
  change(body: unknown): void {
    const KEYS = ['requests', 'notes', 'trashRequests', 'spamRequests', 'mergeRequests', 'purgeRequests', 'staff'];
    if (!isObject(body)) throw new AccountChangeError(`the body must be an object with ${KEYS.join(', ')}`);
    for (const k of Object.keys(body)) if (!KEYS.includes(k)) throw new AccountChangeError(`unknown key "${k}" (allowed: ${KEYS.join(', ')})`);
    const objects = (key: string, idKey?: string): HsObject[] => {
      const v = body[key];
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every(isObject)) throw new AccountChangeError(`"${key}" must be a list of objects`);
      v.forEach((o, i) => {
        if (idKey && !isId(o[idKey])) throw new AccountChangeError(`${key}[${i}].${idKey} is required and must be an integer ≥ 1`);
      });
      return v;
    };
    const requests = objects('requests', 'xRequest');
    const notes = objects('notes', 'xRequest');
    const staff = objects('staff', 'xPerson');
    const known = new Set([...this.requests.keys(), ...requests.map((r) => r.xRequest as number)]);
    const ids = (key: string): number[] => {
      const v = body[key] ?? [];
      if (!Array.isArray(v) || !v.every(isId)) throw new AccountChangeError(`"${key}" must be a list of request ids`);
      for (const id of v) if (!known.has(id)) throw new AccountChangeError(`${key}: ${id} is not a request of the installation`);
      return v;
    };
    notes.forEach((n, i) => {
      if (!known.has(n.xRequest as number)) throw new AccountChangeError(`notes[${i}].xRequest must be a request of the installation`);
      if (n.xPerson !== undefined && !(typeof n.xPerson === 'number' && Number.isInteger(n.xPerson) && n.xPerson >= -1)) throw new AccountChangeError(`notes[${i}].xPerson must be > 0 (staff), 0 (customer) or -1`);
    });
    const trash = ids('trashRequests');
    const spam = ids('spamRequests');
    const purge = ids('purgeRequests');
    const mergeRaw = body.mergeRequests ?? [];
    if (!Array.isArray(mergeRaw) || !mergeRaw.every((p) => Array.isArray(p) && p.length === 2 && p.every(isId) && p[0] !== p[1])) throw new AccountChangeError('"mergeRequests" must be a list of [from, into] request id pairs');
    const merges = mergeRaw as Array<[number, number]>;
    for (const [a, b] of merges) if (!known.has(a) || !known.has(b)) throw new AccountChangeError(`mergeRequests: [${a}, ${b}] are not both requests of the installation`);

    for (const s of staff) this.staff.set(s.xPerson as number, { ...(this.staff.get(s.xPerson as number) ?? { fDeleted: 0 }), ...clone(s) });
    for (const r of requests) {
      const id = r.xRequest as number;
      const existing = this.requests.get(id);
      if (existing) {
        Object.assign(existing, clone(r));
        this.log(id, { tLog: `changed: ${Object.keys(r).filter((k) => k !== 'xRequest').join(', ')}` });
      } else {
        const { tNote, ...fields } = clone(r);
        this.requests.set(id, { fOpen: 1, xStatus: 1, fUrgent: 0, fTrash: 0, dtGMTOpened: this.nowSec(), dtGMTClosed: 0, xPersonAssignedTo: 0, xCategory: 0, ...fields });
        this.log(id, { fInitial: 1, fPublic: 1, xPerson: 0, tNote: typeof tNote === 'string' ? tNote : '' });
      }
    }
    for (const n of notes) this.log(n.xRequest as number, { xPerson: 0, fPublic: 1, ...n, xRequestHistory: this.nextHistoryId, dtGMTChange: this.nowSec() });
    for (const id of trash) {
      Object.assign(this.requests.get(id)!, { fTrash: 1, dtGMTTrashed: this.nowSec() });
      this.log(id, { tLog: 'moved to trash' });
    }
    for (const id of spam) {
      Object.assign(this.requests.get(id)!, { xStatus: SPAM_STATUS, xPersonAssignedTo: 0 });
      this.log(id, { tLog: 'marked spam' });
    }
    for (const [from, into] of merges) {
      for (const h of this.history) if (h.xRequest === from) Object.assign(h, { xRequest: into, fMergedFromRequest: from });
      for (const d of this.documents.values()) if (d.xRequest === from) d.xRequest = into;
      this.requests.delete(from);
      this.merged.set(from, into);
      this.log(into, { tLog: `merged request ${from} into this one` });
    }
    for (const id of purge) {
      this.requests.delete(id);
      this.history = this.history.filter((h) => h.xRequest !== id);
      for (const [k, d] of this.documents) if (d.xRequest === id) this.documents.delete(k);
    }
  }

  /** GET /__emulator/state. */
  snapshot(): unknown {
    const ids = [...this.requests.keys()].sort((a, b) => a - b);
    return {
      requests: ids.map((id) => clone(this.requests.get(id))),
      history: Object.fromEntries(ids.map((id) => [String(id), this.requestHistory(id).map((h) => h.xRequestHistory)])),
      merged: Object.fromEntries(this.merged),
      staff: [...this.staff.values()].map((s) => clone(s)),
    };
  }
}
