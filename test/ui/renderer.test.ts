import { describe, expect, it } from 'vitest';
import { createRenderer, resolveMode } from '../../src/ui/renderer.js';
import { JsonRenderer } from '../../src/ui/json-renderer.js';
import { PlainRenderer } from '../../src/ui/plain-renderer.js';
import { counts, done, resource, start, T0 } from './events.js';

function stream(isTTY: boolean) {
  const s = { out: '', isTTY, columns: 120, write: (x: string) => void (s.out += x) };
  return s;
}

describe('createRenderer', () => {
  it('auto is tty only on a terminal outside CI', () => {
    expect(resolveMode('auto', stream(true), {})).toBe('tty');
    expect(resolveMode('auto', stream(false), {})).toBe('plain');
    expect(resolveMode('auto', stream(true), { CI: 'true' })).toBe('plain');
    expect(resolveMode('auto', stream(true), { CI: '1' })).toBe('plain');
    expect(resolveMode('auto', stream(true), { CI: 'false' })).toBe('tty');
    expect(resolveMode('json', stream(true), {})).toBe('json');
    expect(createRenderer('auto', { stdout: stream(false), stderr: stream(false), env: {} })).toBeInstanceOf(PlainRenderer);
    expect(createRenderer('json', { stdout: stream(true), stderr: stream(true), env: {} })).toBeInstanceOf(JsonRenderer);
  });

  it('json writes to stdout only', async () => {
    const out = stream(false);
    const err = stream(false);
    const r = createRenderer('json', { stdout: out, stderr: err, env: {}, now: () => T0 });
    r.on(start());
    await r.close();
    expect(JSON.parse(out.out)).toMatchObject({ format_version: 1, type: 'start' });
    expect(err.out).toBe('');
  });

  it('reads the plain heartbeat interval from PLAIN_MIGRATE_HEARTBEAT_MS', async () => {
    const out = stream(false);
    let t = T0;
    const r = createRenderer('plain', { stdout: out, stderr: stream(false), env: { PLAIN_MIGRATE_HEARTBEAT_MS: '1000' }, now: () => t });
    r.on(start());
    t += 3500;
    r.on(resource('thread', 'CREATED'));
    await r.close();
    expect(out.out.match(/ progress: /g)).toHaveLength(2); // at 3 s (on the grid), and the last one at close
  });

  it('tty loads Ink lazily, shows events that came before it mounted, and renders the summary on close', async () => {
    const out = stream(true);
    const r = createRenderer('tty', { stdout: out, stderr: stream(true), env: {}, color: false, now: () => T0 + 5000 });
    r.on(start());
    r.on(resource('customer', 'CREATED'));
    r.on(resource('thread', 'FAILED', 4));
    r.on(done(counts({ customer: { CREATED: 1 }, thread: { FAILED: 1 } }), 'completed-with-failures', T0 + 5000));
    await r.close();
    expect(out.out).toContain('FAILED thread.zendesk["4"]: Input validation failed');
    expect(out.out).toContain('Apply completed-with-failures in 5 s');
    expect(out.out).not.toMatch(/\u001b\[[0-9;]*m/); // no color or style codes
  });
});
