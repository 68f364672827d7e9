import { describe, expect, it } from 'vitest';
import { BASE, load, problemsOf } from './helpers.js';

describe('source paths', () => {
  it('a relative path may not lead outside the manifest’s directory', async () => {
    const problems = await problemsOf(BASE.replace('path: export/users.jsonl', 'path: ../../etc/users.jsonl'));
    const p = problems.find((x) => x.code === 'manifest.path-escapes');
    expect(p?.message).toMatch(/sources\.users\.path "\.\.\/\.\.\/etc\/users\.jsonl" leads outside the manifest's directory/);
    expect(p?.location?.line).toBe(10);
    expect(p?.hint).toMatch(/absolute path/);
  });
  it('an absolute path, or ../ that stays inside, is accepted', async () => {
    const m = await load(BASE.replace('path: export/users.jsonl', 'path: /srv/exports/users.jsonl').replace('path: export/comments.jsonl', 'path: export/../export/comments.jsonl'));
    expect(m.sources.users!.path).toBe('/srv/exports/users.jsonl');
    expect(m.sources.comments!.path.endsWith('/export/comments.jsonl')).toBe(true);
  });
});
