/**
 * The records of a JSON document: the elements of the top-level array, or of the array that `select`
 * names, one at a time, each held to the size and nesting limits (limits.ts).
 *
 * It sits inside stream-json's parser: `attach` takes over the parser's `push`, so the parser's tokens are
 * handled as they are made (no stream hop per token) and the parser's readable side carries only
 * `JsonElement`s. The parser streams strings and numbers in pieces (`PARSER_OPTIONS`), so it never holds a
 * long string itself; the pieces are joined here only for an element that is being kept, and each element
 * is built with stream-json's Assembler (iterative: any depth). An element whose text grows past `maxBytes`,
 * or that nests deeper than `maxDepth`, is dropped as it streams (nothing more of it is kept) and comes out
 * as a problem with its index; the elements after it are read as usual.
 *
 * Size is counted on the element's text as parsed: the characters of its strings, keys and numbers, plus
 * one per bracket and a few per key and literal (whitespace and escapes are not counted), which is about
 * its size in bytes.
 */
import type { Transform } from 'node:stream';
import Assembler from 'stream-json/Assembler.js';

/** Options for stream-json's Parser that `attach` expects. */
export const PARSER_OPTIONS = {
  packKeys: true,
  streamKeys: false,
  packStrings: false,
  streamStrings: true,
  packNumbers: false,
  streamNumbers: true,
} as const;

interface Token {
  readonly name: string;
  readonly value?: unknown;
}

export type JsonElement =
  | { readonly key: number; readonly value: unknown }
  | { readonly key: number; readonly problem: 'too-long' | 'too-deep' };

/** The selected value (or the top-level one) is not an array. */
export class NotAnArrayError extends Error {
  constructor() {
    super('the value that holds the records is not an array');
  }
}

export interface RecordsOptions {
  /** The dotted path of the records array inside a top-level object; [] for a top-level array. */
  readonly select: readonly string[];
  readonly maxBytes: number;
  readonly maxDepth: number;
  /** Called once, when the value at `select` is found (whatever it is). */
  readonly onMatch?: () => void;
}

export interface JsonRecords {
  /** The value at `select` was found. */
  readonly matched: boolean;
}

/** Hooks `parser` (created with PARSER_OPTIONS) so that its readable side yields JsonElements. */
export function attach(parser: Transform, opts: RecordsOptions): JsonRecords {
  const out = parser.push.bind(parser);
  const records = new Records(opts, (el) => out(el), (e) => process.nextTick(() => parser.destroy(e)));
  parser.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (chunk === null || typeof chunk !== 'object' || !('name' in chunk)) return out(chunk, encoding);
    records.token(chunk as Token);
    return true;
  };
  return records;
}

const VALUE_START = new Set(['startObject', 'startArray', 'startString', 'startNumber', 'nullValue', 'trueValue', 'falseValue']);

class Records implements JsonRecords {
  matched = false;
  /** Looking for the records array, inside it, or past it (the rest of the document is only parsed). */
  private phase: 'seek' | 'inside' | 'after' = 'seek';
  // seek: the path of open containers (key of the current value in each; null in arrays) down to select's depth.
  private readonly path: Array<string | null> = [];
  private depthOutside = 0;
  // inside: the element being read.
  private key = 0;
  private inElement = false;
  private depth = 0;
  private size = 0;
  private problem: 'too-long' | 'too-deep' | undefined;
  private assembler: Assembler | undefined;
  private parts: string[] = [];

  constructor(
    private readonly o: RecordsOptions,
    private readonly emit: (el: JsonElement) => void,
    private readonly fail: (e: Error) => void,
  ) {}

  token(t: Token): void {
    if (this.phase === 'inside') this.element(t);
    else if (this.phase === 'seek') this.seek(t);
  }

  /** Follows the document down to `select`; the value found there must be an array. */
  private seek(t: Token): void {
    const want = this.o.select;
    if (VALUE_START.has(t.name) && this.depthOutside === want.length && this.path.length === want.length && want.every((s, i) => this.path[i] === s)) {
      this.matched = true;
      this.o.onMatch?.();
      if (t.name === 'startArray') this.phase = 'inside';
      else {
        this.phase = 'after';
        this.fail(new NotAnArrayError());
      }
      return;
    }
    switch (t.name) {
      case 'startObject':
      case 'startArray':
        this.depthOutside++;
        if (this.depthOutside <= want.length) this.path.push(null);
        return;
      case 'endObject':
      case 'endArray':
        if (this.depthOutside <= want.length) this.path.pop();
        this.depthOutside--;
        return;
      case 'keyValue':
        if (this.depthOutside <= want.length) this.path[this.depthOutside - 1] = String(t.value);
        return;
      default:
        return;
    }
  }

  private beginElement(): void {
    this.inElement = true;
    this.size = 0;
    this.depth = 0;
    this.problem = undefined;
    this.assembler = new Assembler();
  }

  private finishElement(): void {
    const key = this.key++;
    if (this.problem) this.emit({ key, problem: this.problem });
    else {
      const value: unknown = this.assembler?.current;
      this.emit({ key, value });
    }
    this.inElement = false;
    this.assembler = undefined;
    this.parts = [];
  }

  /** Stop keeping the element: the rest of it is only walked through to find its end. */
  private dropElement(problem: 'too-long' | 'too-deep'): void {
    this.problem = problem;
    this.assembler = undefined;
    this.parts = [];
  }

  private grow(n: number): void {
    this.size += n;
    if (this.size > this.o.maxBytes && !this.problem) this.dropElement('too-long');
  }

  private element(t: Token): void {
    if (!this.inElement) {
      if (t.name === 'endArray') {
        this.phase = 'after';
        return;
      }
      this.beginElement();
    }
    switch (t.name) {
      case 'startObject':
      case 'startArray':
        this.depth++;
        this.grow(1);
        if (this.depth > this.o.maxDepth && !this.problem) this.dropElement('too-deep');
        this.assembler?.consume({ name: t.name });
        return;
      case 'endObject':
      case 'endArray':
        this.depth--;
        this.grow(1);
        this.assembler?.consume({ name: t.name });
        if (this.depth === 0) this.finishElement();
        return;
      case 'keyValue': {
        const k = String(t.value);
        this.grow(k.length + 3);
        this.assembler?.consume({ name: 'keyValue', value: k });
        return;
      }
      case 'startString':
      case 'startNumber':
        this.parts = [];
        this.grow(1);
        return;
      case 'stringChunk':
      case 'numberChunk': {
        const piece = String(t.value);
        this.grow(piece.length);
        if (this.assembler) this.parts.push(piece);
        return;
      }
      case 'endString':
      case 'endNumber':
        this.assembler?.consume({ name: t.name === 'endString' ? 'stringValue' : 'numberValue', value: this.parts.join('') });
        this.parts = [];
        if (this.depth === 0) this.finishElement();
        return;
      case 'nullValue':
      case 'trueValue':
      case 'falseValue':
        this.grow(5);
        this.assembler?.consume({ name: t.name });
        if (this.depth === 0) this.finishElement();
        return;
      default:
        // startKey/endKey/stringValue/numberValue do not occur with PARSER_OPTIONS.
        return;
    }
  }
}
