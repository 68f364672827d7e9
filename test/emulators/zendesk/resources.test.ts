import { describe, expect, test } from 'vitest';
import { Clock, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);

describe('Zendesk emulator: comments, ticket fields, one ticket, one user', () => {
  test('comments page with page[size] and links.next, ascending, without ticket_id or local_path', async () => {
    const seen: any[] = [];
    let next: string | null = '/api/v2/tickets/104/comments.json?page[size]=2';
    const pages: any[] = [];
    while (next !== null) {
      const r = await get(emu, next);
      expect(r.status).toBe(200);
      pages.push(r.body);
      seen.push(...r.body.comments);
      expect(r.body.meta.has_more).toBe(r.body.links.next !== null);
      next = r.body.links.next;
      if (next !== null) expect(next.startsWith(`${emu.url}/api/v2/tickets/104/comments.json?`)).toBe(true);
    }
    expect(pages.map((p) => p.comments.length)).toEqual([2, 2, 1]);
    expect(seen.map((c) => c.id)).toEqual([5017, 5018, 5019, 5020, 5021]);
    const times = seen.map((c) => c.created_at);
    expect(times).toEqual([...times].sort());
    for (const c of seen) {
      expect(c).not.toHaveProperty('ticket_id');
      expect(c).toMatchObject({ type: 'Comment', public: expect.any(Boolean), body: expect.any(String), html_body: expect.any(String) });
    }
    const att = seen[0].attachments[0];
    expect(att).not.toHaveProperty('local_path');
    expect(att).toMatchObject({ id: 9001, file_name: 'screenshot.png', content_type: 'image/png', size: 68 });
    expect(att.content_url).toBe(`${emu.url}/attachments/token/9001/?name=screenshot.png`);
    expect(att.mapped_content_url).toBe(att.content_url);
    expect(seen[0].body).toContain('Charged twice for the March subscription');
  });

  test('page[size] over 100 → 400; without .json works; bad cursor → 400', async () => {
    const big = await get(emu, '/api/v2/tickets/104/comments.json?page[size]=101');
    expect(big.status).toBe(400);
    expect(big.body.error).toBe('InvalidPaginationParameter');
    const plain = await get(emu, '/api/v2/tickets/104/comments');
    expect(plain.status).toBe(200);
    expect(plain.body.comments).toHaveLength(5);
    expect(plain.body.meta.has_more).toBe(false);
    expect(plain.body.links.next).toBeNull();
    expect((await get(emu, '/api/v2/tickets/104/comments?page[after]=zz')).status).toBe(400);
  });

  test('a deleted or unknown ticket → 404 RecordNotFound (comments and show)', async () => {
    for (const path of ['/api/v2/tickets/117/comments.json', '/api/v2/tickets/999/comments.json', '/api/v2/tickets/117.json', '/api/v2/users/42.json']) {
      const r = await get(emu, path);
      expect(r.status, path).toBe(404);
      expect(r.body).toEqual({ error: 'RecordNotFound', description: 'Not found' });
    }
  });

  test('ticket fields (system fields by default), a ticket with generated_timestamp, a user', async () => {
    const f = await get(emu, '/api/v2/ticket_fields.json?page[size]=3');
    expect(f.body.ticket_fields.map((x: any) => x.type)).toEqual(['subject', 'description', 'status']);
    expect(f.body.meta.has_more).toBe(true);
    const rest = await get(emu, f.body.links.next);
    expect(rest.body.ticket_fields).toHaveLength(3);
    const t = await get(emu, '/api/v2/tickets/102');
    expect(t.body.ticket).toMatchObject({ id: 102, status: 'solved', generated_timestamp: Date.parse('2023-02-12T05:23:21Z') / 1000 });
    const u = await get(emu, '/api/v2/users/2001.json');
    expect(u.body.user).toMatchObject({ id: 2001, name: 'Sara Lind', role: 'agent' });
  });
});
