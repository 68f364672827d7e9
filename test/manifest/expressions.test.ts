import { describe, expect, it } from 'vitest';
import { caretDisplay, lookupCalls } from '../../src/manifest/compile.js';
import { parseDuration } from '../../src/manifest/index.js';
import jsonata from 'jsonata';
import { BASE, base, load, problemsOf } from './helpers.js';

const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('JSONata syntax errors', () => {
  it('carry the manifest line:col of the value, the position and a caret', async () => {
    const text = base('  title: subject', '  title: $string(id');
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    const p = problems[0];
    expect(p?.code).toBe('manifest.expression-syntax');
    expect(p?.location).toMatchObject({ line: lineOf(text, 'title: $string(id'), col: 10 });
    const [first, exprLine, caret] = (p?.message ?? '').split('\n');
    expect(first).toBe('JSONata syntax error in threads.title at position 10: Expected ")" before end of expression');
    expect(exprLine).toBe('    $string(id');
    expect(caret).toBe('              ^');
  });

  it('points the caret at the offending token', async () => {
    const text = base('  title: subject', '  title: "subject foo"');
    const [p] = await problemsOf(text);
    expect(p?.location).toMatchObject({ line: lineOf(text, 'subject foo'), col: 10 });
    expect(p?.message.split('\n')).toEqual(['JSONata syntax error in threads.title at position 11: Syntax error: "foo"', '    subject foo', '            ^']);
  });

  it('are found in messages, customer, fields and source keys, all in one pass', async () => {
    const text = base('    text: body', '    text: "(body"')
      .replace("    email: $record('users', requester_id).email", '    email: "]"')
      .replace('    key: id', '    key: "id +"')
      .replace('  createdAt: created_at\n  customer:', '  createdAt: created_at\n  fields:\n    order: "a[b"\n  customer:');
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.message.split(':')[0])).toEqual([
      'JSONata syntax error in sources.users.key at position 4',
      'JSONata syntax error in threads.fields.order at position 3',
      'JSONata syntax error in threads.customer.email at position 1',
      'JSONata syntax error in threads.messages.text at position 5',
    ]);
  });

  it('in a block scalar show the line holding the error', () => {
    expect(caretDisplay('a\n  & $x(\n', 8)).toBe('      & $x(\n          ^');
  });
});

describe('static checks of $record, $records and $table', () => {
  it("$record('nosuch', …) names the source and suggests the nearest", async () => {
    const text = base("    email: $record('users', requester_id).email", "    email: $record('usres', requester_id).email");
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      code: 'manifest.unknown-source',
      message: "$record('usres', …) in threads.customer.email at position 15: no source named 'usres'; did you mean 'users'?",
      path: 'threads.customer.email',
      location: { line: lineOf(text, 'usres'), col: 12 },
    });
    const far = await problemsOf(base("    email: $record('users', requester_id).email", "    email: $record('nosuch', requester_id).email"));
    expect(far[0]?.message).toBe("$record('nosuch', …) in threads.customer.email at position 16: no source named 'nosuch'; declared sources: tickets, users, comments");
  });

  it('$record needs a key, $records a groupBy', async () => {
    const problems = await problemsOf(
      base('  title: subject', "  title: $record('tickets', id).subject").replace("    each: $records('comments', id)", "    each: $records('users', id)"),
    );
    expect(problems.map((p) => [p.code, p.message, p.hint])).toEqual([
      ['manifest.lookup-unindexed', "$record('tickets', …) in threads.title at position 17: source 'tickets' has no key", 'add key: <expression> under sources.tickets (e.g. key: id)'],
      ['manifest.lookup-unindexed', "$records('users', …) in threads.messages.each at position 16: source 'users' has no groupBy", 'add groupBy: <expression> under sources.users (e.g. groupBy: ticket_id)'],
    ]);
  });

  it('$table must name a declared table, even deep inside an expression', async () => {
    const text = base('  title: subject', "  title: \"$map(tags, function($t) { $table('agnets', $t) })\"");
    const problems = await problemsOf(text);
    expect(problems.map((p) => p.message)).toEqual([
      "$table('agnets', …) in threads.title at position 41: no table named 'agnets'; did you mean 'agents'?",
    ]);
  });

  it('ignores names that are not string literals and other functions', async () => {
    const m = await load(base('  title: subject', "  title: \"$record(src, id) & $lookup({}, 'x') & $table($name, 1)\""));
    expect(m.threads.title.compiled).toBeDefined();
  });

  it('lookupCalls finds calls in paths, blocks, conditions and objects', () => {
    const ast = jsonata("a ? $records('c', id).{ 'x': $table('t', y) } : ($record('u', 1); [$table('s', 2)])").ast();
    expect(lookupCalls(ast).map((c) => `${c.fn}:${c.name}`).sort()).toEqual(['record:u', 'records:c', 'table:s', 'table:t']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['1500ms', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    [' 10 s ', 10_000],
    ['2500', 2500],
    [2500, 2500],
  ] as const)('%s → %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['0s', '0', 0, -5, '30 seconds', 's', '', '10d', null, true, Number.NaN])('%s is not a duration', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});

describe('the base fixture', () => {
  it('loads', async () => {
    const m = await load(BASE);
    expect(m.threads.messages?.externalId.path).toBe('threads.messages.externalId');
  });
});
