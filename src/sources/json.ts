/**
 * JSON (.json): a top-level array, or an object with `select:` naming the array (a dotted path such as
 * `tickets` or `data.items`). Streamed with stream-json's parser, whose tokens json-records.ts turns into
 * records as they are made; only one element is assembled at a time, and an element over the size limit (`maxRecordBytes`) or nested deeper
 * than MAX_DEPTH is an error item with its index while the elements after it are read (json-records.ts).
 * A syntax error yields one error item (with the line where parsing stopped) after the
 * records before it, and ends the stream, since a JSON document cannot be resynchronised.
 * The top-level shape is checked on the first token; the object's keys (for messages) are gathered by a
 * second, bounded pass only when something is wrong.
 */
import { pipeline, type Transform } from 'node:stream';
import Parser from 'stream-json/Parser.js';
import { PmError } from '../core/errors.js';
import type { FileSourceDecl } from '../manifest/types.js';
import { declError, malformedItem, messageOf, rethrow } from './diagnostics.js';
import { guardParser } from './json-position.js';
import { attach, NotAnArrayError, PARSER_OPTIONS, type JsonElement } from './json-records.js';
import { MAX_DEPTH, recordLimit, tooDeepItem, tooLongItem } from './limits.js';
import { openSourceStream } from './open.js';
import { parseDottedPath } from './path.js';
import type { SourceItem } from './types.js';

interface Token {
  readonly name: string;
  readonly value?: unknown;
}

type ValueKind = 'array' | 'object' | 'value';

/** Tokens read while gathering top-level keys for a message. */
const KEY_SCAN_TOKENS = 500_000;
const MAX_KEYS = 30;

export function selectError(decl: FileSourceDecl, select: string): PmError {
  return declError(
    decl,
    'source.select-unsupported',
    `source "${decl.name}": select "${select}" is not supported: select must be a dotted path of field names, e.g. \`tickets\` or \`data.items\``,
    'select',
    'filters, wildcards, indexes and functions are not supported here; name a field with other characters in backquotes, e.g. data.`my items`',
  );
}

function kindOf(tokenName: string): ValueKind {
  return tokenName === 'startArray' ? 'array' : tokenName === 'startObject' ? 'object' : 'value';
}

/** The first keys of a top-level object and the kind of each value, reading at most KEY_SCAN_TOKENS tokens. */
async function topLevelKeys(decl: FileSourceDecl, signal?: AbortSignal): Promise<{ keys: Array<[string, ValueKind]>; truncated: boolean }> {
  const keys: Array<[string, ValueKind]> = [];
  let truncated = false;
  const input = await openSourceStream(decl, { signal, stripBom: true });
  // Strings in pieces: a huge value next to the keys is never held whole.
  const parser = Parser.parser(PARSER_OPTIONS);
  const tokens = pipeline(input, parser, () => undefined) as unknown as Transform;
  let depth = 0;
  let seen = 0;
  let pending: string | undefined;
  try {
    for await (const t of tokens as AsyncIterable<Token>) {
      if (++seen > KEY_SCAN_TOKENS) {
        truncated = true;
        break;
      }
      if (depth === 1) {
        if (t.name === 'keyValue') {
          if (keys.length >= MAX_KEYS) {
            truncated = true;
            break;
          }
          pending = String(t.value);
        } else if (pending !== undefined) {
          keys.push([pending, kindOf(t.name)]);
          pending = undefined;
        }
      }
      if (t.name === 'startObject' || t.name === 'startArray') depth++;
      else if (t.name === 'endObject' || t.name === 'endArray') depth--;
      if (depth === 0 && seen > 1) break;
    }
  } catch {
    // a syntax error: report the keys seen so far
  } finally {
    tokens.destroy();
    input.destroy();
  }
  return { keys, truncated };
}

async function keysSentence(decl: FileSourceDecl, signal?: AbortSignal): Promise<{ text: string; firstArray?: string }> {
  const { keys, truncated } = await topLevelKeys(decl, signal);
  if (keys.length === 0) return { text: '' };
  const list = keys.map(([k, kind]) => (kind === 'value' ? k : `${k} (${kind})`)).join(', ');
  return { text: `; its top-level keys are: ${list}${truncated ? ', …' : ''}`, firstArray: keys.find(([, kind]) => kind === 'array')?.[0] };
}

/** A shape problem seen on the first token; the reader turns it into the PmError with the file's keys. */
class ShapeError extends Error {
  constructor(readonly kind: 'needs-select' | 'not-array' | 'select-on-array', readonly token: string) {
    super(kind);
  }
}

async function shapeError(decl: FileSourceDecl, e: ShapeError, signal?: AbortSignal): Promise<PmError> {
  const src = `source "${decl.name}"`;
  const file = decl.pathAsWritten;
  switch (e.kind) {
    case 'needs-select': {
      const keys = await keysSentence(decl, signal);
      return declError(decl, 'source.json-needs-select', `${src}: ${file} holds an object, not an array${keys.text}`, 'select', `add \`select: ${keys.firstArray ?? '<key>'}\` under sources.${decl.name} to name the array of records`);
    }
    case 'not-array':
      return declError(decl, 'source.json-not-array', `${src}: ${file} holds a single ${e.token.replace(/Value$/, '')} value, not an array of records`, 'path');
    case 'select-on-array':
      return declError(decl, 'source.select-on-array', `${src}: select "${decl.select ?? ''}" was given but ${file} holds an array at the top level`, 'select', 'remove `select:` to read the top-level array');
  }
}

/** Calls `check` with the parser's first token, once; the hook removes itself. */
function onFirstToken(parser: Transform, check: (t: Token) => void): void {
  const push = parser.push.bind(parser);
  parser.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk !== null && typeof chunk === 'object' && 'name' in chunk) {
      parser.push = push;
      check(chunk as Token);
    }
    return push(chunk, encoding);
  };
}

function isSyntaxError(e: unknown): boolean {
  return e instanceof Error && /^Parser (cannot parse input|has expected)/.test(e.message);
}

/** The number of the last line holding text (to tell a truncated file from an error inside it). */
async function lastTextLine(decl: FileSourceDecl, signal?: AbortSignal): Promise<number | undefined> {
  const input = await openSourceStream(decl, { signal });
  let line = 1;
  let last = 0;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      for (const b of chunk) {
        if (b === 0x0a) line++;
        else if (b !== 0x20 && b !== 0x09 && b !== 0x0d) last = line;
      }
    }
  } catch {
    return undefined;
  } finally {
    input.destroy();
  }
  return last || undefined;
}

/**
 * A JSON source must start with `[` or `{`. Checked on the first bytes so that a file of another kind
 * (CSV, HTML, an error page) is named at its first character, not wherever the parser gives up.
 */
async function checkStart(decl: FileSourceDecl, signal?: AbortSignal): Promise<void> {
  const input = await openSourceStream(decl, { signal, stripBom: true });
  let text = '';
  try {
    for await (const chunk of input as AsyncIterable<Buffer | string>) {
      text += chunk.toString();
      if (text.trim().length > 0 || text.length > 65_536) break;
    }
  } finally {
    input.destroy();
  }
  const at = text.search(/\S/);
  // A JSON value of any kind starts with one of these; other shapes are refused later, with their own message.
  if (at === -1 || /[[{"\-0-9tfn]/.test(text[at]!)) return;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const col = at - before.lastIndexOf('\n');
  throw new PmError(
    'source.unreadable',
    `${decl.pathAsWritten} is not JSON: it starts with ${JSON.stringify(text.slice(at, at + 12))}, where a JSON document must start with [ or {`,
    { location: { file: decl.pathAsWritten, line, col }, hint: 'export the records as JSON, or name the file for its real format (.csv, .jsonl)' },
  );
}

export async function* readJson(decl: FileSourceDecl, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  const file = decl.pathAsWritten;
  await checkStart(decl, signal);
  let segs: string[] | undefined;
  if (decl.select !== undefined) {
    segs = parseDottedPath(decl.select);
    if (!segs) throw selectError(decl, decl.select);
  }
  const input = await openSourceStream(decl, { signal, stripBom: true });
  const parser = Parser.parser(PARSER_OPTIONS);
  // A syntax error is held by the guard: the input is cut off and the parser ended, so every record parsed
  // before the error still comes out; the error item follows them.
  const guard = guardParser(parser, () => {
    process.nextTick(() => {
      input.unpipe(parser);
      input.destroy();
      parser.end();
    });
  });
  // Installed before the first-token check, which then sees each token first.
  const records = attach(parser, { select: segs ?? [], maxBytes: recordLimit(decl), maxDepth: MAX_DEPTH });
  let shape: ShapeError | undefined;
  onFirstToken(parser, (t) => {
    const kind = kindOf(t.name);
    const problem = kind === 'value' ? 'not-array' : kind === 'object' && !segs ? 'needs-select' : kind === 'array' && segs ? 'select-on-array' : undefined;
    if (!problem) return;
    // The records hook may fail on this very token first; `shape` makes the catch report the real problem.
    const err = new ShapeError(problem, t.name);
    shape = err;
    process.nextTick(() => parser.destroy(err));
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  // Nothing after a syntax error can be read, so the source as a whole is unusable: planning on a
  // part of it would take every record after the error for gone (orphans). Stop with the location.
  const syntaxError = async (e: Error, line: number | undefined, index: number): Promise<PmError> => {
    const last = line === undefined ? undefined : await lastTextLine(decl, signal);
    const atEnd = line !== undefined && last !== undefined && line >= last;
    const what = atEnd
      ? `the file ends unexpectedly at line ${line} (is it truncated?): ${messageOf(e).replace(/^Parser /, 'parser ')}`
      : `${messageOf(e).replace(/^Parser /, 'parser ')}; nothing after this point can be read, so the source cannot be used`;
    const err = malformedItem({ file, line, index }, `${file} is not valid JSON${line !== undefined ? ` at line ${line}` : ''}: ${what}`, undefined,
      atEnd ? 'export the file again: it was cut short' : 'fix the file (or re-export it); a JSON document cannot be read past a syntax error');
    return err.ok ? new PmError('source.unreadable', `${file} is not valid JSON`) : new PmError('source.unreadable', err.error.message, { location: err.error.location, hint: err.error.hint });
  };

  let index = 0;
  try {
    for await (const el of parser as AsyncIterable<JsonElement>) {
      index = el.key + 1;
      const location = { file, index: el.key };
      if ('problem' in el) {
        const what = `element ${el.key} of the records array`;
        yield el.problem === 'too-long' ? tooLongItem(decl, location, what, undefined) : tooDeepItem(decl, location, what);
      } else yield { ok: true, record: el.value, location };
      if (signal?.aborted) throw signal.reason;
    }
    const held = guard.error();
    if (held) throw await syntaxError(held, guard.errorLine(), index);
    if (segs && !records.matched) {
      const keys = await keysSentence(decl, signal);
      throw declError(decl, 'source.select-not-found', `source "${decl.name}": select "${decl.select ?? ''}" matches nothing in ${file}${keys.text}`, 'select');
    }
  } catch (e) {
    if (shape && !signal?.aborted) throw await shapeError(decl, shape, signal);
    if (isSyntaxError(e) && !signal?.aborted) {
      // Only when the guard could not wrap the parser: the error arrives as a stream error.
      throw await syntaxError(e as Error, guard.errorLine(), index);
    }
    if (e instanceof NotAnArrayError) {
      throw declError(decl, 'source.select-not-array', `source "${decl.name}": select "${decl.select ?? ''}" names something in ${file} that is not an array`, 'select', 'select must name the array that holds the records');
    }
    rethrow(decl, e, signal);
  } finally {
    parser.destroy();
    input.destroy();
  }
}
