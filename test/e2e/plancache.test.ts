/**
 * The plan cache: a re-plan of an unchanged export skips the mapping of unchanged threads, and never
 * hides a change — in the record, in what it looks up, in the manifest, or in the state.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { AGENTS, LABELS, makeWorkspace, type Workspace } from './workspace.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu?.close();
});

const plan = async (ws: Workspace) => {
  const r = await cli(['plan', '--json', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { plan: { threads: Record<string, number>; messages: Record<string, number>; digest: string }; cache: { unchangedNotRemapped: number } };
};

describe('re-planning an unchanged export', () => {
  it('takes unchanged threads from the cache, and sees every change', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 12 });
    expect((await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl })).exitCode).toBe(0);
    // the apply remembered every thread it finished: the first plan after it maps nothing again
    const first = await plan(ws);
    expect(first.cache.unchangedNotRemapped).toBe(12);
    const second = await plan(ws);
    expect(second.plan.threads.noop).toBe(12);
    expect(second.cache.unchangedNotRemapped).toBe(12);
    // the same plan, whether the cache was used or not
    expect(second.plan.digest).toBe(first.plan.digest);

    // a new comment (a look-up of the thread changed): mapped again, and the append is seen
    appendFileSync(join(ws.dir, 'export/comments.jsonl'), JSON.stringify({ id: 88_001, ticket_id: 3, author_id: 1, public: true, html_body: '<p>new</p>', created_at: '2024-05-01T00:00:00.000Z' }) + '\n');
    const afterComment = await plan(ws);
    expect(afterComment.plan.threads.append).toBe(1);
    expect(afterComment.cache.unchangedNotRemapped).toBe(11);

    // a changed user (another look-up): the thread whose requester it is gets mapped again
    const users = readFileSync(join(ws.dir, 'export/users.jsonl'), 'utf8').split('\n');
    const t5 = ws.tickets.find((t) => t.id === 5)!;
    const i = users.findIndex((l) => l.includes(`"id":${t5.requester_id},`));
    users[i] = users[i]!.replace(/"name":"[^"]*"/, '"name":"Renamed Customer"');
    writeFileSync(join(ws.dir, 'export/users.jsonl'), users.join('\n'));
    const afterUser = await plan(ws);
    expect(afterUser.cache.unchangedNotRemapped).toBeLessThan(11);

    // the record itself changed: its update is planned
    ws.tickets.find((t) => t.id === 7)!.subject = 'Renamed ticket';
    ws.rewrite();
    const afterTitle = await plan(ws);
    expect(afterTitle.plan.threads.update).toBe(1);

    // the state changed (state rm): the thread is planned for import again
    expect((await cli(['state', 'rm', 'thread["zd-9"]', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl })).exitCode).toBe(0);
    const afterRm = await plan(ws);
    expect(afterRm.plan.threads.create).toBe(1);

    // the manifest changed: nothing is taken from the cache
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('concurrency: 4', 'concurrency: 5'));
    const afterManifest = await plan(ws);
    expect(afterManifest.cache.unchangedNotRemapped).toBe(0);
  });
});
