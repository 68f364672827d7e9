import { describe, expect, it } from 'vitest';
import { interpolate, isInterpolated } from '../../src/manifest/interpolate.js';
import { isLoopbackUrl } from '../../src/manifest/index.js';
import { BASE, base, load, problemText, problemsOf } from './helpers.js';

const SECRET = 'plainApiKey_S3CR3T-do-not-print';
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('interpolate()', () => {
  it('expands ${VAR} and ${VAR:-default}', () => {
    expect(interpolate('a ${X} b', { X: '1' })).toMatchObject({ value: 'a 1 b', interpolated: true, variables: ['X'], problems: [] });
    expect(interpolate('${Y:-fallback}', {}).value).toBe('fallback');
    expect(interpolate('${Y:-}', {}).value).toBe('');
    expect(interpolate('${Y:-d}', { Y: '' }).value).toBe('d');
    expect(interpolate('${Y:-d}', { Y: 'set' }).value).toBe('set');
    expect(interpolate('${Y:-http://h:1/x}', {}).value).toBe('http://h:1/x');
  });

  it('$${ writes a literal ${ and is not an interpolation', () => {
    expect(interpolate('cost $${AMOUNT} and $$ and $x', {})).toEqual({ value: 'cost ${AMOUNT} and $$ and $x', interpolated: false, variables: [], problems: [] });
    expect(interpolate('$${A}${B}', { B: 'b' }).value).toBe('${A}b');
  });

  it('names a missing variable, with a hint', () => {
    const r = interpolate('Basic ${ZD_AUTH}', {});
    expect(r.problems).toEqual([
      { code: 'manifest.env-missing', message: 'environment variable ZD_AUTH is not set', hint: 'export ZD_AUTH=… or write ${ZD_AUTH:-default}' },
    ]);
  });

  it('reports malformed and unclosed references', () => {
    expect(interpolate('${not a name}', {}).problems[0]?.code).toBe('manifest.interpolation');
    expect(interpolate('${UNCLOSED', {}).problems[0]?.message).toContain('unclosed');
  });

  it('leaves expressions alone', () => {
    expect(isInterpolated(['threads', 'title'])).toBe(false);
    expect(isInterpolated(['threads', 'messages', 'text'])).toBe(false);
    expect(isInterpolated(['sources', 'users', 'key'])).toBe(false);
    expect(isInterpolated(['sources', 'users', 'groupBy'])).toBe(false);
    expect(isInterpolated(['sources', 'users', 'select'])).toBe(false);
    expect(isInterpolated(['sources', 'users', 'path'])).toBe(true);
    expect(isInterpolated(['target', 'plain', 'apiKey'])).toBe(true);
    expect(isInterpolated(['attachments', 'fetch', 0, 'headers', 'Authorization'])).toBe(true);
    expect(isInterpolated(['tables', 'agents', '_default'])).toBe(true);
  });
});

describe('interpolation in a manifest', () => {
  it('a missing variable without default names the variable and its place', async () => {
    const problems = await problemsOf(BASE, { env: {} });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.env-missing',
      message: 'environment variable PLAIN_API_KEY is not set',
      hint: 'export PLAIN_API_KEY=… or write ${PLAIN_API_KEY:-default}',
      path: 'target.plain.apiKey',
      location: { line: lineOf(BASE, 'apiKey'), col: 13 },
    });
  });

  it('uses the default, in paths, endpoints and headers', async () => {
    const text = base('    apiKey: ${PLAIN_API_KEY}', '    apiKey: ${PLAIN_API_KEY}\n    endpoint: ${PLAIN_ENDPOINT:-http://127.0.0.1:4849/graphql/v1}')
      .replace('    path: export/tickets.jsonl', '    path: ${EXPORT_DIR:-export}/tickets.jsonl')
      .concat('attachments:\n  fetch:\n    - prefix: https://acme.zendesk.com/\n      headers: { Authorization: "Basic ${ZD:-none}" }\n');
    const m = await load(text, { env: { PLAIN_API_KEY: 'k' } });
    expect(m.target).toMatchObject({ endpoint: 'http://127.0.0.1:4849/graphql/v1' });
    expect(m.sources['tickets']?.pathAsWritten).toBe('export/tickets.jsonl');
    expect(m.attachments?.fetch[0]?.headers).toEqual({ Authorization: 'Basic none' });
    const m2 = await load(text, { env: { PLAIN_API_KEY: 'k', EXPORT_DIR: '/data/zd', ZD: 'abc' } });
    expect(m2.sources['tickets']?.path).toBe('/data/zd/tickets.jsonl');
    expect(m2.attachments?.fetch[0]?.headers).toEqual({ Authorization: 'Basic abc' });
  });

  it('$${ escapes in a manifest, and expressions are not interpolated', async () => {
    const text = base('name: test', 'name: cost-$${X}').replace('  title: subject', '  title: "\'${NOT_ENV}\'"');
    const m = await load(text, { env: { PLAIN_API_KEY: 'k' } });
    expect(m.name).toBe('cost-${X}');
    expect(m.threads.title.text).toBe("'${NOT_ENV}'");
    expect(await m.threads.title.compiled?.evaluate({})).toBe('${NOT_ENV}');
  });

  it('an interpolated number is taken as a number', async () => {
    const m = await load(base('  concurrency: 8', '  concurrency: ${PM_CONCURRENCY:-3}'), { env: { PLAIN_API_KEY: 'k' } });
    expect(m.batching.concurrency).toBe(3);
    const problems = await problemsOf(base('  concurrency: 8', '  concurrency: ${PM_CONCURRENCY}'), { env: { PLAIN_API_KEY: 'k', PM_CONCURRENCY: 'many' } });
    expect(problems.map((p) => p.message)).toEqual(['batching.concurrency must be an integer']);
  });

  it('a missing variable is reported once, not again by the schema', async () => {
    const problems = await problemsOf(base('  concurrency: 8', '  concurrency: ${PM_C}'), { env: { PLAIN_API_KEY: 'k' } });
    expect(problems.map((p) => p.code)).toEqual(['manifest.env-missing']);
  });
});

describe('literal secrets', () => {
  const literal = (endpoint?: string): string =>
    base('    apiKey: ${PLAIN_API_KEY}', `    apiKey: ${SECRET}${endpoint === undefined ? '' : `\n    endpoint: ${endpoint}`}`);

  it('refuses a literal apiKey for the default (remote) endpoint', async () => {
    const text = literal();
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.literal-secret',
      message: 'apiKey is written literally; read it from the environment: apiKey: ${PLAIN_API_KEY}',
      path: 'target.plain.apiKey',
      location: { line: lineOf(text, 'apiKey'), col: 13 },
    });
  });

  it('refuses it for a remote endpoint, allows it for loopback ones', async () => {
    expect((await problemsOf(literal('https://plain.example.com/graphql/v1')))[0]?.code).toBe('manifest.literal-secret');
    for (const ep of ['http://127.0.0.1:4849/graphql/v1', 'http://localhost:9/graphql', 'http://[::1]:4849/graphql/v1', 'http://127.8.9.10/x']) {
      const m = await load(literal(ep));
      expect(m.target).toMatchObject({ kind: 'plain', apiKey: SECRET, apiKeyIsLiteral: true, endpoint: ep });
    }
  });

  it('a key from the environment is not literal, even for loopback', async () => {
    const m = await load(base('    apiKey: ${PLAIN_API_KEY}', '    apiKey: ${PLAIN_API_KEY}\n    endpoint: http://127.0.0.1:1/x'), { env: { PLAIN_API_KEY: SECRET } });
    expect(m.target).toMatchObject({ apiKeyIsLiteral: false, apiKey: SECRET });
  });

  it('refuses a literal There There token unless baseUrl is loopback', async () => {
    const tt = (extra: string): string =>
      base('  plain:\n    apiKey: ${PLAIN_API_KEY}\n', `  therethere:\n    token: ${SECRET}\n    channel: support\n${extra}`);
    const problems = await problemsOf(tt(''));
    expect(problems.map((p) => p.message)).toEqual(['token is written literally; read it from the environment: token: ${THERETHERE_TOKEN}']);
    const m = await load(tt('    baseUrl: http://localhost:4850\n'));
    expect(m.target).toMatchObject({ kind: 'therethere', tokenIsLiteral: true, appendAs: 'skip' });
  });

  it('never puts a secret into a problem, whatever else is wrong', async () => {
    const env = { PLAIN_API_KEY: SECRET, OTHER: SECRET };
    const texts = [
      literal(),
      literal('ftp://not-http'),
      base('    apiKey: ${PLAIN_API_KEY}', '    apiKey: ${PLAIN_API_KEY}\n    endpoint: ${OTHER}').replace('  concurrency: 8', '  concurrency: ${OTHER}'),
      base('    apiKey: ${PLAIN_API_KEY}', '    apiKey: ${PLAIN_API_KEY}\n    createMissingLabelTypes: ${OTHER}'),
      `${BASE}attachments:\n  onSkip: \${OTHER}\n  maxBytes: \${OTHER}\n  fetch:\n    - prefix: \${OTHER}\n`,
      base('name: test', 'name: ${OTHER}').replace('version: 1', 'version: ${OTHER}').replace('  title: subject', '  title: "$string("'),
    ];
    for (const text of texts) {
      const problems = await problemsOf(text, { env });
      expect(problems.length).toBeGreaterThan(0);
      expect(problemText(problems)).not.toContain(SECRET);
      expect(problemText(problems)).not.toContain('S3CR3T');
    }
  });

  it('the secret is not in the sourceHash input (hash of the file as written)', async () => {
    const a = await load(BASE, { env: { PLAIN_API_KEY: 'one' } });
    const b = await load(BASE, { env: { PLAIN_API_KEY: 'two' } });
    expect(a.sourceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.sourceHash).toBe(b.sourceHash);
  });
});

describe('isLoopbackUrl', () => {
  it.each([
    ['http://127.0.0.1:4849/graphql/v1', true],
    ['https://127.255.0.1/', true],
    ['http://localhost:3000', true],
    ['http://LOCALHOST.:3000', true],
    ['http://api.localhost/', true],
    ['http://[::1]:4849/', true],
    ['http://[0:0:0:0:0:0:0:1]/', true],
    ['http://[::ffff:127.0.0.1]/', true],
    ['http://128.0.0.1/', false],
    ['http://127.0.0.1.evil.com/', false],
    ['http://localhost.evil.com/', false],
    ['https://core-api.uk.plain.com/graphql/v1', false],
    ['http://0.0.0.0/', false],
    ['ftp://127.0.0.1/', false],
    ['not a url', false],
    ['', false],
  ])('%s → %s', (url, expected) => {
    expect(isLoopbackUrl(url)).toBe(expected);
  });
});

describe('secrets in the returned manifest', () => {
  it('are readable, but redacted when the manifest is serialised or inspected', async () => {
    const { inspect } = await import('node:util');
    const text = `${BASE}attachments:\n  fetch:\n    - prefix: https://acme.zendesk.com/\n      headers: { Authorization: "Basic \${ZD}" }\n`;
    const m = await load(text, { env: { PLAIN_API_KEY: SECRET, ZD: 'S3CR3T-basic' } });
    expect(m.target.kind === 'plain' && m.target.apiKey).toBe(SECRET);
    expect(m.attachments?.fetch[0]?.headers['Authorization']).toBe('Basic S3CR3T-basic');
    const json = JSON.stringify(m);
    expect(json).not.toContain('S3CR3T');
    expect(json).toContain('"apiKey":"[redacted]"');
    expect(inspect(m, { depth: 10 })).not.toContain('S3CR3T');
    expect({ ...m.target }).toMatchObject({ apiKey: SECRET });
  });
});
