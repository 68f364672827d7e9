import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JsonRenderer } from '../../src/ui/json-renderer.js';
import { everyEvent, T0 } from './events.js';

function run() {
  let out = '';
  const r = new JsonRenderer({ write: (s: string) => (out += s) }, { now: () => T0 + 1234 });
  for (const e of everyEvent()) r.on(e);
  return out;
}

describe('JsonRenderer', () => {
  it('writes one parseable line per event, each with format_version 1, type and timestamp', () => {
    const out = run();
    expect(out.endsWith('\n')).toBe(true);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(everyEvent().length);
    lines.forEach((l, i) => {
      const o = JSON.parse(l) as Record<string, unknown>;
      expect(o.format_version).toBe(1);
      expect(o.type).toBe(everyEvent()[i]!.type);
      expect(o.timestamp).toBe('2026-11-22T00:57:24.234Z');
    });
  });

  it('maps fields to snake_case with ISO times and epoch-ms twins', () => {
    const byType = new Map(
      run()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map((o) => [o.type, o]),
    );
    expect(byType.get('start')).toEqual({
      format_version: 1,
      type: 'start',
      timestamp: '2026-11-22T00:57:24.234Z',
      migration: 'zendesk-to-plain',
      target: 'plain http://127.0.0.1:4849/graphql/v1',
      run_id: 7,
      requests_per_minute: 450,
      concurrency: 4,
      totals: { customers: 10, threads: 20, messages: 100 },
      at: '2026-11-22T00:57:23.000Z',
      at_ms: T0,
    });
    expect(byType.get('resource')).toMatchObject({
      kind: 'thread',
      outcome: 'FAILED',
      attempts: 1,
      error: { code: 'input_validation', type: 'VALIDATION', fields: [{ field: 'title', message: 'must be at most 200 characters', type: 'VALIDATION' }] },
    });
    expect(byType.get('rate-limit-wait')).toMatchObject({ until: '2026-11-22T00:57:43.000Z', until_ms: T0 + 20_000 });
    expect(byType.get('retry')).toMatchObject({ delay_ms: 1200, attempt: 1, error: { code: 'http_429' } });
    expect(byType.get('done')).toMatchObject({
      outcome: 'failed',
      counts: { customer: { CREATED: 1, NOOP: 0, UPDATED: 0, FAILED: 0 }, thread: { FAILED: 1 } },
      requests: { importThread: 20 },
      invalid: 2,
      elapsed_ms: 60_000,
    });
  });

  it('every event type is documented in docs/json-output.md', () => {
    const doc = readFileSync(new URL('../../docs/json-output.md', import.meta.url), 'utf8');
    for (const e of everyEvent()) expect(doc).toContain(`### \`${e.type}\``);
    expect(doc).toContain('### `progress`');
    expect(doc).toContain('## plan --json');
  });
});
