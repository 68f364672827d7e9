/** Shared fixtures for the Zendesk emulator tests: the quickstart export as the seed, a controllable clock, request helpers. */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { loadZendeskSeed, startZendeskEmulator, type ZendeskEmulator, type ZendeskEmulatorOptions, type ZendeskSeed } from '../../../src/emulators/zendesk/index.js';

export const EXPORT_DIR = join(import.meta.dirname, '../../../examples/quickstart/export');
export const EMAIL = 'admin@acme.test';
export const API_TOKEN = 'zd-emulator-token';
export const OAUTH = 'zd-emulator-oauth';
export const BASIC = `Basic ${Buffer.from(`${EMAIL}/token:${API_TOKEN}`).toString('base64')}`;
export const BEARER = `Bearer ${OAUTH}`;

/** 2025-07-01T00:00:00Z: after every quickstart timestamp. */
export const T0 = Date.UTC(2025, 6, 1);

/** A clock tests move by hand. */
export class Clock {
  ms = T0;
  now = (): number => this.ms;
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
  get sec(): number {
    return Math.floor(this.ms / 1000);
  }
}

let seedPromise: Promise<ZendeskSeed> | undefined;
export const quickstartSeed = (): Promise<ZendeskSeed> => (seedPromise ??= loadZendeskSeed(EXPORT_DIR));

export interface Reply<T = any> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** GET (or another method) with the API token unless `auth` says otherwise (null: no header). */
export async function get<T = any>(emu: { url: string }, path: string, auth: string | null = BASIC, init: RequestInit = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers as Record<string, string>) };
  if (auth !== null) headers.authorization = auth;
  const res = await fetch(path.startsWith('http') ? path : `${emu.url}${path}`, { ...init, headers });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body: body as T, text, headers: res.headers };
}

export async function post<T = any>(emu: { url: string }, path: string, body: unknown): Promise<Reply<T>> {
  return get<T>(emu, path, null, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
}

/**
 * One emulator for the test file (started before all, closed after all, reset before each test) on
 * the quickstart seed and `clock`, with no incremental limit unless `opts` says so; the start-up
 * config is restored before each test. Returned as a stand-in that forwards to it.
 */
export function useEmulator(clock: Clock, opts: Omit<ZendeskEmulatorOptions, 'seed' | 'now'> = {}): ZendeskEmulator {
  let current: ZendeskEmulator | undefined;
  let startConfig: ReturnType<ZendeskEmulator['config']> | undefined;
  beforeAll(async () => {
    current = await startZendeskEmulator({ seed: await quickstartSeed(), now: clock.now, incrementalPerMinute: 0, ...opts });
    startConfig = current.config();
  });
  afterAll(async () => {
    await current?.close();
  });
  beforeEach(() => {
    clock.ms = T0;
    current?.reset();
    if (startConfig) current?.configure(startConfig);
  });
  return new Proxy({} as ZendeskEmulator, {
    get: (_, key) => {
      if (!current) throw new Error('the emulator is not started yet');
      const v: unknown = Reflect.get(current, key);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(current) : v;
    },
  });
}

/** Follows after_url until end_of_stream; returns every page. */
export async function drain(emu: { url: string }, first: string, auth = BASIC, maxPages = 200): Promise<any[]> {
  const pages: any[] = [];
  let next: string | null = first;
  while (next !== null && pages.length < maxPages) {
    const r: Reply = await get(emu, next, auth);
    if (r.status !== 200) throw new Error(`${next} → ${r.status} ${r.text}`);
    pages.push(r.body);
    next = r.body.end_of_stream ? null : r.body.after_url;
  }
  return pages;
}
