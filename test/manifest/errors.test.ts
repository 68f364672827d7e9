import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatError, PmError } from '../../src/core/errors.js';
import { loadManifest, ManifestError } from '../../src/manifest/index.js';
import { BASE, ENV, base, problemsOf, writeManifest } from './helpers.js';

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('reading the file', () => {
  it('a missing file is manifest.not-found, suggesting -f/--file', async () => {
    const err = await loadManifest('/nonexistent/dir/plain-migrate.yaml', { env: ENV }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PmError);
    expect(err).not.toBeInstanceOf(ManifestError);
    expect(err).toMatchObject({ code: 'manifest.not-found' });
    expect((err as PmError).message).toContain('/nonexistent/dir/plain-migrate.yaml');
    expect((err as PmError).hint).toContain('-f/--file');
  });

  it('throws ManifestError with code manifest.invalid and a count', async () => {
    const file = writeManifest(base('  concurrency: 8', '  concurrency: 0\n  maxAttempts: 0'));
    const err = await loadManifest(file, { env: ENV }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toBeInstanceOf(PmError);
    expect(err).toMatchObject({ code: 'manifest.invalid', message: 'the manifest has 2 problems' });
    expect(formatError(err as ManifestError)).toContain(file);
  });
});

describe('YAML syntax', () => {
  it('reports a syntax error with file:line:col and the parser message', async () => {
    const text = BASE.replace('  title: subject', '  title: "unclosed');
    const file = writeManifest(text);
    const err = (await loadManifest(file, { env: ENV }).catch((e: unknown) => e)) as ManifestError;
    expect(err).toBeInstanceOf(ManifestError);
    const p = err.problems[0];
    expect(p?.code).toBe('manifest.yaml-syntax');
    expect(p?.message).toMatch(/^YAML syntax error: .*quote/i);
    expect(p?.location?.file).toBe(file);
    expect(p?.location?.line).toBeGreaterThanOrEqual(lineOf(text, 'unclosed'));
    expect(p?.location?.col).toBeGreaterThanOrEqual(1);
  });

  it('reports a bad indentation at its line', async () => {
    const text = BASE.replace('  title: subject', '  title: subject\n bad: indent');
    const problems = await problemsOf(text);
    expect(problems[0]?.code).toBe('manifest.yaml-syntax');
    expect(problems[0]?.location?.line).toBe(lineOf(text, 'bad: indent'));
  });

  it('refuses duplicate keys', async () => {
    const text = BASE.replace('  title: subject', '  title: subject\n  title: other');
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'manifest.duplicate-key' });
    expect(problems[0]?.location?.line).toBe(lineOf(text, 'title: other'));
  });

  it('refuses keys that collide once compared as strings', async () => {
    const problems = await problemsOf(BASE.replace('tables:\n', 'tables:\n  p:\n    1: a\n    "1": b\n'));
    expect(problems.map((p) => p.code)).toEqual(['manifest.duplicate-key']);
    expect(problems[0]?.message).toContain("'1'");
  });

  it('resolves anchors and aliases', async () => {
    const m = await (async () => {
      const file = writeManifest(BASE.replace('tables:\n', () => 'tables:\n  a: &rows { x: 1, _default: 0 }\n  b: *rows\n'));
      return loadManifest(file, { env: ENV });
    })();
    expect(m.tables['b']?.rows.get('x')).toBe(1);
    expect(m.tables['b']).toMatchObject({ hasDefault: true, defaultValue: 0 });
  });

  it('refuses several documents in one file', async () => {
    const problems = await problemsOf(`${BASE}---\nversion: 1\n`);
    expect(problems[0]?.code).toBe('manifest.yaml-syntax');
    expect(problems[0]?.location?.line).toBe(lineOf(BASE, 'concurrency') + 1);
  });

  it('a manifest that is not a mapping is a problem', async () => {
    expect((await problemsOf('- a\n- b\n')).map((p) => p.message)).toEqual(['the manifest must be a mapping']);
  });

  it('an empty file is a problem, not a crash', async () => {
    const problems = await problemsOf('');
    expect(problems[0]?.message).toBe('the manifest file is empty (or holds only comments)');
    expect((await problemsOf('# only a comment\n'))[0]?.code).toBe('manifest.empty-file');
    expect((await problemsOf('- a list\n'))[0]?.message).toBe('the manifest must be a mapping');
  });
});

describe('schema', () => {
  it('suggests the nearest key for an unknown key', async () => {
    const text = base('  concurrency: 8', '  concurency: 8');
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.unknown-key',
      message: "unknown key 'concurency' in batching; did you mean 'concurrency'?",
      path: 'batching.concurency',
      location: { line: lineOf(text, 'concurency'), col: 3 },
    });
  });

  it('suggests at the top level and inside threads', async () => {
    const problems = await problemsOf(base('name: test', 'nmae: test\nname: test').replace('  title: subject', '  titel: subject\n  title: subject'));
    expect(problems.map((p) => p.message)).toEqual([
      "unknown key 'nmae' at the top level; did you mean 'name'?",
      "unknown key 'titel' in threads; did you mean 'title'?",
    ]);
  });

  it('lists the valid keys when nothing is near', async () => {
    const problems = await problemsOf(base('  concurrency: 8', '  zzzzzzzzzzzz: 8'));
    expect(problems[0]?.message).toBe(
      "unknown key 'zzzzzzzzzzzz' in batching; valid keys: messagesPerRequest, concurrency, requestsPerMinute, maxAttempts, requestTimeout",
    );
  });

  it('lists the allowed values of an enum', async () => {
    const text = `${BASE}attachments:\n  onSkip: maybe\n`;
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.enum',
      message: 'attachments.onSkip must be one of: "note", "fail" (got maybe)',
      path: 'attachments.onSkip',
      location: { line: lineOf(text, 'maybe'), col: 11 },
    });
  });

  it('version must be 1', async () => {
    const problems = await problemsOf(base('version: 1', 'version: 2'));
    expect(problems.map((p) => p.message)).toEqual(['version must be 1 (got 2)']);
    expect(problems[0]?.location?.line).toBe(1);
  });

  it('name is required; a missing key points at its parent', async () => {
    const problems = await problemsOf(base('name: test\n', ''));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'manifest.missing-key', message: "missing required key 'name' at the top level", path: 'name' });
    const inner = BASE.replace('  title: subject\n', '');
    const [p] = await problemsOf(inner);
    expect(p).toMatchObject({ message: "missing required key 'title' in threads", path: 'threads.title', location: { line: lineOf(inner, 'threads:'), col: 1 } });
  });

  it('requires the thread and message fields', async () => {
    const text = BASE.replace("  externalId: \"'zd-' & $string(id)\"\n", '').replace('    text: body\n', '').replace('  customer:\n    email: $record(\'users\', requester_id).email\n', '');
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.path).sort()).toEqual(['threads.customer', 'threads.externalId', 'threads.messages.text']);
  });

  it('rejects messagesPerRequest 26', async () => {
    const text = base('  concurrency: 8', '  messagesPerRequest: 26');
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.range',
      message: 'batching.messagesPerRequest must be between 1 and 25',
      location: { line: lineOf(text, '26'), col: 23 },
    });
  });

  it('rejects concurrency 0, requestsPerMinute 0, maxAttempts 0 and a non-integer', async () => {
    const problems = await problemsOf(base('  concurrency: 8', '  concurrency: 0\n  requestsPerMinute: 0\n  maxAttempts: 1.5'));
    expect(problems.map((p) => p.message)).toEqual([
      'batching.concurrency must be at least 1',
      'batching.requestsPerMinute must be at least 1',
      'batching.maxAttempts must be an integer',
    ]);
  });

  it('requires exactly one target', async () => {
    const both = base('target:\n', 'target:\n  therethere:\n    token: ${PLAIN_API_KEY}\n    channel: support\n');
    expect((await problemsOf(both)).map((p) => p.message)).toEqual(['target must name exactly one target: plain or therethere']);
    const none = base('  plain:\n    apiKey: ${PLAIN_API_KEY}\n', '  {}\n').replace('target:\n  {}', 'target: {}');
    expect((await problemsOf(none)).map((p) => p.message)).toEqual(['target must name exactly one target: plain or therethere']);
    const typo = base('  plain:\n', '  plian:\n');
    expect((await problemsOf(typo)).map((p) => p.message)).toEqual(["unknown key 'plian' in target; did you mean 'plain'?"]);
  });

  it('names types in words and points at list items', async () => {
    const text = `${BASE}attachments:\n  fetch:\n    - prefix: ftp://files\n    - headers: { A: b }\n  maxBytes: lots\n`;
    const problems = await problemsOf(text);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'attachments.fetch[0].prefix: attachments.fetch[0].prefix must be an http(s) URL',
      "attachments.fetch[1].prefix: missing required key 'prefix' in attachments.fetch[1]",
      'attachments.maxBytes: attachments.maxBytes must be an integer',
    ]);
    expect(problems[1]?.location?.line).toBe(lineOf(text, 'headers: { A: b }'));
  });

  it('collects every problem in one pass, sorted by line', async () => {
    const text = base('version: 1', 'version: 3')
      .replace('  concurrency: 8', '  concurency: 8\n  messagesPerRequest: 30')
      .replace('  source: tickets', '  source: tikets')
      .replace('  title: subject', '  title: $string(')
      .replace('    path: export/users.jsonl', '    path: export/users.xlsx');
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.code)).toEqual([
      'manifest.enum',
      'manifest.source-format',
      'manifest.unknown-source',
      'manifest.expression-syntax',
      'manifest.unknown-key',
      'manifest.range',
    ]);
    const lines = problems.map((p) => p.location?.line ?? 0);
    expect([...lines].sort((a, b) => a - b)).toEqual(lines);
  });
});

describe('semantics', () => {
  it('threads.source must name a declared source, with a suggestion', async () => {
    const text = base('  source: tickets', '  source: tikets');
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.unknown-source',
      message: "threads.source names 'tikets', which is not a declared source; did you mean 'tickets'?",
      location: { line: lineOf(text, 'source: tikets'), col: 11 },
    });
  });

  it('a path with an unsupported extension lists the supported ones', async () => {
    const problems = await problemsOf(base('    path: export/tickets.jsonl', '    path: export/tickets.xlsx'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.code).toBe('manifest.source-format');
    expect(problems[0]?.message).toContain("'.xlsx'");
    expect(problems[0]?.message).toContain('.jsonl .ndjson .json .csv, each optionally .gz');
  });

  it('detects every supported format and gzip', async () => {
    const cases: Array<[string, string, boolean]> = [
      ['a.jsonl', 'jsonl', false],
      ['a.NDJSON', 'jsonl', false],
      ['a.ndjson.gz', 'jsonl', true],
      ['a.json', 'json', false],
      ['a.json.gz', 'json', true],
      ['a.csv', 'csv', false],
      ['dir.v2/a.csv.gz', 'csv', true],
    ];
    for (const [p, format, gzip] of cases) {
      const file = writeManifest(base('    path: export/tickets.jsonl', `    path: ${p}`));
      const m = await loadManifest(file, { env: ENV });
      expect(m.sources['tickets']).toMatchObject({ format, gzip, pathAsWritten: p, path: path.resolve(path.dirname(file), p) });
      if (format === 'csv') expect(m.sources['tickets']?.csv).toEqual({ delimiter: ',', header: true });
    }
  });

  it('select only for json, csv only for csv; header false needs columns', async () => {
    const text = base('    path: export/tickets.jsonl', '    path: export/tickets.jsonl\n    select: tickets\n    csv: { delimiter: ";" }').replace(
      '    path: export/users.jsonl',
      '    path: export/users.csv\n    csv: { header: false }',
    );
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.message)).toEqual([
      'select applies only to json sources; sources.tickets is jsonl',
      'csv applies only to csv sources; sources.tickets is jsonl',
      'sources.users.csv: header is false, so columns must name the columns',
    ]);
  });

  it('takes csv options', async () => {
    const m = await (async () => {
      const file = writeManifest(base('    path: export/users.jsonl', '    path: export/users.csv\n    csv: { delimiter: "\\t", header: false, columns: [id, email] }'));
      return loadManifest(file, { env: ENV });
    })();
    expect(m.sources['users']?.csv).toEqual({ delimiter: '\t', header: false, columns: ['id', 'email'] });
  });

  it('rejects a bad duration and a zero duration', async () => {
    const bad = await problemsOf(base('  concurrency: 8', '  requestTimeout: 30 seconds'));
    expect(bad.map((p) => p.message)).toEqual(['batching.requestTimeout must be a duration such as 30s, 1500ms, 2m, or a number of milliseconds']);
    const zero = await problemsOf(base('  concurrency: 8', '  requestTimeout: 0s'));
    expect(zero.map((p) => p.message)).toEqual(['batching.requestTimeout must be greater than zero']);
  });

  it('accepts durations as strings and numbers', async () => {
    for (const [written, ms] of [['30s', 30_000], ['1500ms', 1500], ['2m', 120_000], ['1m30s', 90_000], ['2500', 2500], ['"750"', 750]] as const) {
      const file = writeManifest(base('  concurrency: 8', `  requestTimeout: ${written}`));
      expect((await loadManifest(file, { env: ENV })).batching.requestTimeoutMs).toBe(ms);
    }
  });
});
