/** fetchToTempFile against a local HTTP server and a temporary manifest directory. */
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { PmError } from '../../src/core/errors.js';
import { AttachmentError, fetchToTempFile, matchFetchRule, type FetchOptions, type FetchRule } from '../../src/attachments/index.js';
import { failure, startServer, writeSlowly, type TestServer } from './server.js';

let srv: TestServer;
let other: TestServer;
let work: string;
let manifestDir: string;
let tmp: string;

beforeAll(async () => {
  srv = await startServer();
  other = await startServer();
});
afterAll(async () => {
  await srv.close();
  await other.close();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pm-att-test-'));
  manifestDir = join(work, 'manifest');
  tmp = join(work, 'tmp');
  await mkdir(manifestDir);
  await mkdir(tmp);
  srv.requests.length = 0;
  other.requests.length = 0;
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const opts = (over: Partial<FetchOptions> = {}): FetchOptions => ({ manifestDir, maxBytes: 6_000_000, timeoutMs: 5_000, tmpDir: tmp, ...over });
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('url', () => {
  test('a 3 MB file is streamed into a temp file: same bytes, same sha256, cleanup removes it', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    srv.route('/big.bin', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no content-length: chunked
      for (let i = 0; i < data.length; i += 100_000) {
        if (!res.write(data.subarray(i, i + 100_000))) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    });
    const f = await fetchToTempFile({ url: `${srv.url}/big.bin`, fileName: 'big.bin', size: 12 }, opts());
    expect(f.size).toBe(data.length);
    expect(f.sha256).toBe(sha(data));
    expect((await readFile(f.file)).equals(data)).toBe(true);
    expect(f.file.startsWith(tmp)).toBe(true);
    expect((await stat(f.file)).mode & 0o077).toBe(0);
    await f.cleanup();
    await f.cleanup();
    expect(existsSync(f.file)).toBe(false);
    expect(await readdir(tmp)).toEqual([]);
    expect(srv.requests[0]?.headers['accept-encoding']).toBe('identity');
  });

  test('a file of exactly maxBytes is accepted', async () => {
    srv.route('/exact', (_req, res) => void writeSlowly(res, 1000));
    const f = await fetchToTempFile({ url: `${srv.url}/exact`, fileName: 'a.txt' }, opts({ maxBytes: 1000 }));
    expect(f.size).toBe(1000);
    await f.cleanup();
  });

  test('headers go only with the first matching prefix', async () => {
    srv.route('/private/a.png', (_req, res) => res.end('private'));
    srv.route('/public/b.png', (_req, res) => res.end('public'));
    const fetchRules: FetchRule[] = [
      { prefix: `${srv.url}/private/`, headers: { Authorization: 'Basic SECRET-1' } },
      { prefix: `${srv.url}/`, headers: { 'X-Api-Key': 'SECRET-2' } },
      { prefix: `${srv.url}/private/a`, headers: { 'X-Never': 'SECRET-3' } },
    ];
    for (const path of ['/private/a.png', '/public/b.png']) {
      const f = await fetchToTempFile({ url: `${srv.url}${path}?x=1`, fileName: 'f.png' }, opts({ fetchRules }));
      await f.cleanup();
    }
    const [priv, pub] = srv.requests;
    expect(priv?.headers.authorization).toBe('Basic SECRET-1');
    expect(priv?.headers['x-api-key']).toBeUndefined();
    expect(priv?.headers['x-never']).toBeUndefined();
    expect(pub?.headers.authorization).toBeUndefined();
    expect(pub?.headers['x-api-key']).toBe('SECRET-2');

    srv.requests.length = 0;
    const f = await fetchToTempFile({ url: `${srv.url}/public/b.png`, fileName: 'f.png' }, opts({ fetchRules: fetchRules.slice(0, 1) }));
    await f.cleanup();
    expect(srv.requests[0]?.headers.authorization).toBeUndefined();
  });

  test('prefix matching is by origin, not by string: a look-alike host gets nothing', () => {
    const rules = [{ prefix: 'https://acme.zendesk.com', headers: { a: '1' } }];
    expect(matchFetchRule(new URL('https://ACME.zendesk.com/attachments/1'), rules)).toBe(rules[0]);
    expect(matchFetchRule(new URL('https://acme.zendesk.com:443/x'), rules)).toBe(rules[0]);
    expect(matchFetchRule(new URL('https://acme.zendesk.com.evil.example/x'), rules)).toBeUndefined();
    expect(matchFetchRule(new URL('https://acme.zendesk.com@evil.example/x'), rules)).toBeUndefined();
    expect(matchFetchRule(new URL('http://acme.zendesk.com/x'), rules)).toBeUndefined();
    expect(matchFetchRule(new URL('https://acme.zendesk.com/x'), [{ prefix: 'not a url', headers: {} }])).toBeUndefined();
  });

  test('redirects are followed; the headers are sent only to the original origin', async () => {
    srv.route('/start', (_req, res) => res.writeHead(302, { location: `${other.url}/hop?sig=abc` }).end());
    other.route('/hop', (_req, res) => res.writeHead(307, { location: `${srv.url}/final` }).end());
    srv.route('/final', (_req, res) => res.end('the file'));
    const fetchRules = [{ prefix: `${srv.url}/`, headers: { Authorization: 'Bearer SECRET' } }];
    const f = await fetchToTempFile({ url: `${srv.url}/start`, fileName: 'f.txt' }, opts({ fetchRules }));
    expect(await readFile(f.file, 'utf8')).toBe('the file');
    await f.cleanup();
    expect(srv.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
      ['/start', 'Bearer SECRET'],
      ['/final', 'Bearer SECRET'],
    ]);
    expect(other.requests.map((r) => [r.path, r.headers.authorization])).toEqual([['/hop', undefined]]);
  });

  test('a redirect loop ends with an error', async () => {
    srv.route('/loop', (_req, res) => res.writeHead(302, { location: '/loop' }).end());
    const e = await failure(fetchToTempFile({ url: `${srv.url}/loop`, fileName: 'f' }, opts({ maxRedirects: 3 })));
    expect(e.code).toBe('http_error');
    expect(e.retryable).toBe(false);
    expect(srv.requests).toHaveLength(4);
  });

  test.each([404, 410])('%i is not_found and not retryable', async (status) => {
    srv.route('/gone', (_req, res) => res.writeHead(status).end('nope'));
    const e = await failure(fetchToTempFile({ url: `${srv.url}/gone?token=QUERY-SECRET`, fileName: 'f' }, opts()));
    expect(e.code).toBe('not_found');
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(status);
    expect(e.message).toContain(`${srv.url}/gone`);
    expect(e.message).not.toContain('QUERY-SECRET');
    expect(await readdir(tmp)).toEqual([]);
  });

  test.each([500, 502, 503])('%i is a retryable http_error', async (status) => {
    srv.route('/busy', (_req, res) => res.writeHead(status).end());
    const e = await failure(fetchToTempFile({ url: `${srv.url}/busy`, fileName: 'f' }, opts()));
    expect(e).toMatchObject({ code: 'http_error', retryable: true, status });
  });

  test('429 is retryable and carries Retry-After', async () => {
    srv.route('/slow-down', (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end());
    const e = await failure(fetchToTempFile({ url: `${srv.url}/slow-down`, fileName: 'f' }, opts()));
    expect(e).toMatchObject({ code: 'http_error', retryable: true, status: 429, retryAfterMs: 7000 });
  });

  test('401 is not retryable and says whether headers were sent, without their values', async () => {
    srv.route('/auth', (_req, res) => res.writeHead(401).end());
    const bare = await failure(fetchToTempFile({ url: `${srv.url}/auth`, fileName: 'f' }, opts()));
    expect(bare).toMatchObject({ code: 'http_error', retryable: false, status: 401 });
    expect(bare.message).toContain('no attachments.fetch prefix matches');
    const fetchRules = [{ prefix: `${srv.url}/`, headers: { Authorization: 'Basic SUPER-SECRET' } }];
    const withRule = await failure(fetchToTempFile({ url: `${srv.url}/auth?t=QUERY-SECRET`, fileName: 'f' }, opts({ fetchRules })));
    expect(withRule.message).toContain(`prefix ${srv.url}/`);
    const everything = JSON.stringify({ ...withRule, message: withRule.message, stack: withRule.stack });
    expect(everything).not.toContain('SUPER-SECRET');
    expect(everything).not.toContain('QUERY-SECRET');
  });

  test('an invalid header value is refused without quoting it', async () => {
    const fetchRules = [{ prefix: `${srv.url}/`, headers: { Authorization: 'SECRET\nINJECTED' } }];
    const e = await failure(fetchToTempFile({ url: `${srv.url}/x`, fileName: 'f' }, opts({ fetchRules })));
    expect(e.code).toBe('bad_source');
    expect(e.message).toContain('"Authorization"');
    expect(e.message).not.toContain('SECRET');
    expect(srv.requests).toHaveLength(0);
  });

  test('more than maxBytes (chunked): too_large, the download stops early, nothing is left behind', async () => {
    const total = 200 * 1024 * 1024;
    let sent: Promise<number> = Promise.resolve(0);
    srv.route('/huge', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      sent = writeSlowly(res, total);
    });
    const e = await failure(fetchToTempFile({ url: `${srv.url}/huge`, fileName: 'huge.bin', size: 10 }, opts({ maxBytes: 1_000_000 })));
    expect(e).toMatchObject({ code: 'too_large', retryable: false });
    expect(e.message).toContain('1 MB');
    const written = await sent;
    expect(written).toBeLessThan(total / 4);
    expect(await readdir(tmp)).toEqual([]);
  });

  test('a Content-Length over maxBytes is refused before the body is read', async () => {
    let sent: Promise<number> = Promise.resolve(0);
    srv.route('/announced', (_req, res) => {
      res.writeHead(200, { 'content-length': String(50 * 1024 * 1024) });
      sent = writeSlowly(res, 50 * 1024 * 1024);
    });
    const e = await failure(fetchToTempFile({ url: `${srv.url}/announced`, fileName: 'f' }, opts({ maxBytes: 1_000_000 })));
    expect(e.code).toBe('too_large');
    expect(e.message).toContain('Content-Length');
    expect(await sent).toBeLessThan(50 * 1024 * 1024);
  });

  test('the size hint does not decide: a small hint with a big body is still too_large, a big hint with a small body is fine', async () => {
    srv.route('/two-mb', (_req, res) => void writeSlowly(res, 2_000_000));
    srv.route('/small', (_req, res) => res.end('tiny'));
    const e = await failure(fetchToTempFile({ url: `${srv.url}/two-mb`, fileName: 'f', size: 1 }, opts({ maxBytes: 1_000_000 })));
    expect(e.code).toBe('too_large');
    const f = await fetchToTempFile({ url: `${srv.url}/small`, fileName: 'f', size: 99_000_000 }, opts({ maxBytes: 1_000_000 }));
    expect(f.size).toBe(4);
    await f.cleanup();
  });

  test('no response within timeoutMs: timeout, retryable', async () => {
    srv.route('/hang', () => undefined);
    const t0 = Date.now();
    const e = await failure(fetchToTempFile({ url: `${srv.url}/hang`, fileName: 'f' }, opts({ timeoutMs: 300 })));
    expect(e).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  test('a body that stalls mid-way: timeout, and the partial file is removed', async () => {
    srv.route('/stall', (_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(10_000));
    });
    const t0 = Date.now();
    const e = await failure(fetchToTempFile({ url: `${srv.url}/stall`, fileName: 'f' }, opts({ timeoutMs: 300 })));
    expect(e).toMatchObject({ code: 'timeout', retryable: true });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(await readdir(tmp)).toEqual([]);
  });

  test('totalTimeoutMs bounds a download that keeps dripping', async () => {
    srv.route('/forever', async (_req, res) => {
      res.writeHead(200);
      while (!res.destroyed) {
        res.write('x');
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    const e = await failure(fetchToTempFile({ url: `${srv.url}/forever`, fileName: 'f' }, opts({ timeoutMs: 300, totalTimeoutMs: 600 })));
    expect(e).toMatchObject({ code: 'timeout', retryable: true });
  });

  test('a slow but steady download is not an idle timeout', async () => {
    srv.route('/drip', async (_req, res) => {
      res.writeHead(200);
      for (let i = 0; i < 6; i++) {
        res.write('x');
        await new Promise((r) => setTimeout(r, 100));
      }
      res.end();
    });
    const f = await fetchToTempFile({ url: `${srv.url}/drip`, fileName: 'f' }, opts({ timeoutMs: 300 }));
    expect(f.size).toBe(6);
    await f.cleanup();
  });

  test('a refused connection is a retryable network error', async () => {
    const gone = await startServer();
    const url = `${gone.url}/x`;
    await gone.close();
    const e = await failure(fetchToTempFile({ url, fileName: 'f' }, opts()));
    expect(e).toMatchObject({ code: 'network', retryable: true });
    expect(e.message).toContain('ECONNREFUSED');
  });

  test('a body cut short is a retryable network error', async () => {
    srv.route('/cut', (_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000), () => res.destroy());
    });
    const e = await failure(fetchToTempFile({ url: `${srv.url}/cut`, fileName: 'f' }, opts()));
    expect(e).toMatchObject({ code: 'network', retryable: true });
    expect(await readdir(tmp)).toEqual([]);
  });

  test('an empty body is refused (Plain needs a positive size)', async () => {
    srv.route('/empty', (_req, res) => res.end());
    const e = await failure(fetchToTempFile({ url: `${srv.url}/empty`, fileName: 'f' }, opts()));
    expect(e).toMatchObject({ code: 'empty', retryable: false });
    expect(await readdir(tmp)).toEqual([]);
  });

  test('a temporary directory that cannot be written is a run problem (PmError), not a failure of the file', async () => {
    srv.route('/ok', (_req, res) => res.end('ok'));
    const p = fetchToTempFile({ url: `${srv.url}/ok`, fileName: 'f' }, opts({ tmpDir: join(work, 'no-such-dir') }));
    await expect(p).rejects.toBeInstanceOf(PmError);
    await expect(p).rejects.toMatchObject({ code: 'attachments.tmp-unwritable' });
  });

  test("the caller's signal stops a download: aborted, not retryable", async () => {
    srv.route('/long', (_req, res) => {
      res.writeHead(200);
      res.write('x');
    });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const e = await failure(fetchToTempFile({ url: `${srv.url}/long`, fileName: 'f' }, opts({ signal: ac.signal })));
    expect(e).toMatchObject({ code: 'aborted', retryable: false });
  });

  test.each([
    [{ fileName: 'f' }, 'neither'],
    [{ url: 'https://x.example/a', path: 'a', fileName: 'f' }, 'both'],
    [{ url: 'ftp://x.example/a', fileName: 'f' }, 'not http(s)'],
    [{ url: 'https://user:pw@x.example/a', fileName: 'f' }, 'credentials'],
  ])('bad source %j', async (spec, words) => {
    const e = await failure(fetchToTempFile(spec, opts()));
    expect(e).toMatchObject({ code: 'bad_source', retryable: false });
    expect(e.message).toContain(words);
    expect(e.message).not.toContain('pw');
  });
});

describe('path', () => {
  test('a file inside the manifest directory is copied with its sha256', async () => {
    const data = randomBytes(100_000);
    await mkdir(join(manifestDir, 'files'));
    await writeFile(join(manifestDir, 'files', 'a.pdf'), data);
    const f = await fetchToTempFile({ path: 'files/a.pdf', fileName: 'a.pdf' }, opts());
    expect(f).toMatchObject({ size: data.length, sha256: sha(data) });
    expect(f.file).not.toBe(join(manifestDir, 'files', 'a.pdf'));
    expect((await readFile(f.file)).equals(data)).toBe(true);
    await f.cleanup();
    expect(existsSync(join(manifestDir, 'files', 'a.pdf'))).toBe(true);
  });

  test('a symlink that stays inside is followed', async () => {
    await writeFile(join(manifestDir, 'real.txt'), 'inside');
    await symlink(join(manifestDir, 'real.txt'), join(manifestDir, 'link.txt'));
    const f = await fetchToTempFile({ path: 'link.txt', fileName: 'l.txt' }, opts());
    expect(await readFile(f.file, 'utf8')).toBe('inside');
    await f.cleanup();
  });

  test('a path outside the manifest directory is refused: ../, absolute, and a symlink escape', async () => {
    await writeFile(join(work, 'secret.txt'), 'outside');
    await symlink(join(work, 'secret.txt'), join(manifestDir, 'innocent.txt'));
    await symlink(work, join(manifestDir, 'dirlink'));
    for (const path of ['../secret.txt', join(work, 'secret.txt'), 'innocent.txt', 'dirlink/secret.txt']) {
      const e = await failure(fetchToTempFile({ path, fileName: 'x.txt' }, opts()));
      expect(e, path).toMatchObject({ code: 'outside_manifest_dir', retryable: false });
    }
    expect(await readdir(tmp)).toEqual([]);
  });

  test('the manifest directory itself reached through a symlink is fine', async () => {
    await writeFile(join(manifestDir, 'a.txt'), 'a');
    await symlink(manifestDir, join(work, 'alias'));
    const f = await fetchToTempFile({ path: 'a.txt', fileName: 'a.txt' }, opts({ manifestDir: join(work, 'alias') }));
    expect(f.size).toBe(1);
    await f.cleanup();
  });

  test('missing → not_found; a directory → unreadable; too big → too_large; empty → empty', async () => {
    await mkdir(join(manifestDir, 'dir'));
    await writeFile(join(manifestDir, 'big.bin'), Buffer.alloc(2000));
    await writeFile(join(manifestDir, 'empty.txt'), '');
    expect(await failure(fetchToTempFile({ path: 'nope.txt', fileName: 'n' }, opts()))).toMatchObject({ code: 'not_found', retryable: false });
    expect(await failure(fetchToTempFile({ path: 'dir', fileName: 'd' }, opts()))).toMatchObject({ code: 'unreadable', retryable: false });
    expect(await failure(fetchToTempFile({ path: 'big.bin', fileName: 'b' }, opts({ maxBytes: 1999 })))).toMatchObject({ code: 'too_large', retryable: false });
    expect(await failure(fetchToTempFile({ path: 'empty.txt', fileName: 'e' }, opts()))).toMatchObject({ code: 'empty', retryable: false });
    expect(await readdir(tmp)).toEqual([]);
  });

  test.skipIf(process.platform === 'win32')('a FIFO is refused without blocking', async () => {
    try {
      execFileSync('mkfifo', [join(manifestDir, 'pipe')]);
    } catch {
      return; // no mkfifo on this machine
    }
    const e = await failure(fetchToTempFile({ path: 'pipe', fileName: 'p' }, opts()));
    expect(e.code).toBe('unreadable');
  });
});

describe('a connection whose attachment links answer JSON (body: json-base64, Help Scout)', () => {
  const rule = (): FetchRule => ({ prefix: `${srv.url}/`, headers: { authorization: 'Bearer hs-token' }, body: 'json-base64' });

  test('the file is the decoded data: same bytes, sha256 and size', async () => {
    const data = randomBytes(200_000);
    srv.route('/v2/conversations/1/attachments/9/data', (req, res) => {
      res.writeHead(req.headers.authorization === 'Bearer hs-token' ? 200 : 401, { 'content-type': 'application/json' }).end(JSON.stringify({ data: data.toString('base64') }));
    });
    const f = await fetchToTempFile({ url: `${srv.url}/v2/conversations/1/attachments/9/data`, fileName: 'a.bin' }, opts({ fetchRules: [rule()] }));
    expect(f.size).toBe(data.length);
    expect(f.sha256).toBe(sha(data));
    expect((await readFile(f.file)).equals(data)).toBe(true);
    await f.cleanup();
  });

  test('a decoded file over maxBytes is too_large; an answer without base64 data is refused, not kept as the file', async () => {
    srv.route('/big', (_req, res) => res.writeHead(200).end(JSON.stringify({ data: randomBytes(3000).toString('base64') })));
    await expect(fetchToTempFile({ url: `${srv.url}/big`, fileName: 'b' }, opts({ fetchRules: [rule()], maxBytes: 2000 }))).rejects.toMatchObject({ code: 'too_large' });
    srv.route('/html', (_req, res) => res.writeHead(200).end('<html>login</html>'));
    await expect(fetchToTempFile({ url: `${srv.url}/html`, fileName: 'c' }, opts({ fetchRules: [rule()] }))).rejects.toMatchObject({ code: 'http_error', message: expect.stringMatching(/not JSON/) });
    srv.route('/nodata', (_req, res) => res.writeHead(200).end(JSON.stringify({ error: 'x' })));
    await expect(fetchToTempFile({ url: `${srv.url}/nodata`, fileName: 'd' }, opts({ fetchRules: [rule()] }))).rejects.toMatchObject({ message: expect.stringMatching(/no base64 "data"/) });
    // Without the rule's body, the same answer is the file as it is.
    const raw = await fetchToTempFile({ url: `${srv.url}/html`, fileName: 'e' }, opts());
    expect(await readFile(raw.file, 'utf8')).toBe('<html>login</html>');
    await raw.cleanup();
  });
});
