/**
 * YAML parsing with a location for every node. The document is converted to plain JS values by our own
 * walk (not `toJS`) so that every value keeps its place in the file, keyed by JSON pointer, and so that
 * string scalars can be rewritten (interpolated) on the way with knowledge of where they sit.
 */
import { LineCounter, isAlias, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Scalar } from 'yaml';
import { PmError, type SourceLocation } from '../core/errors.js';

export type PathSeg = string | number;
export type Path = readonly PathSeg[];

export interface NodeInfo {
  /** Where the value starts. */
  readonly location: SourceLocation;
  /** Where its key starts, for values inside a mapping. */
  readonly keyLocation?: SourceLocation;
  /** Source text of a scalar as written (before interpolation). */
  readonly raw?: string;
  /** The scalar contained ${…} and was rewritten from the environment. */
  readonly interpolated: boolean;
}

/** JSON pointer (RFC 6901), the form ajv uses in `instancePath`. */
export function toPointer(path: Path): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** `batching.concurrency`, `attachments.fetch[0].prefix`, `tables.agents["sara@acme.com"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export class NodeIndex {
  private readonly byPointer = new Map<string, NodeInfo>();

  constructor(
    readonly file: string,
    private readonly rootLocation: SourceLocation,
  ) {}

  set(path: Path, info: NodeInfo): void {
    this.byPointer.set(toPointer(path), info);
  }

  get(path: Path): NodeInfo | undefined {
    return this.byPointer.get(toPointer(path));
  }

  getByPointer(pointer: string): NodeInfo | undefined {
    return this.byPointer.get(pointer);
  }

  /** Location of the value at `path`, or of its nearest ancestor that exists. */
  location(path: Path): SourceLocation {
    for (let n = path.length; n > 0; n--) {
      const info = this.get(path.slice(0, n));
      if (info) return info.location;
    }
    return this.rootLocation;
  }

  /** Location of the key naming `path` (falls back to the value, then the nearest ancestor). */
  keyLocation(path: Path): SourceLocation {
    const info = this.get(path);
    if (info) return info.keyLocation ?? info.location;
    return this.location(path);
  }
}

export interface ParsedYaml {
  readonly doc?: Document;
  readonly lineCounter: LineCounter;
  readonly problems: PmError[];
}

export function locateOffset(lc: LineCounter, file: string, offset: number): SourceLocation {
  const { line, col } = lc.linePos(offset);
  return { file, line, col };
}

/** `duplicate key 'title' (first at line 13)`: the key is read from the source, its first use found above it. */
function duplicateKeyMessage(text: string, start: number, end: number): string {
  const raw = (/^["']?([^"'\n:]*)["']?\s*:/.exec(text.slice(start, Math.max(end, start + 200)))?.[1] ?? '').trim();
  if (!raw) return 'duplicate key: a key may appear only once in a mapping';
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const indent = text.slice(lineStart, start).match(/^\s*/)![0].length;
  const lines = text.slice(0, lineStart).split('\n');
  const esc = raw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const same = new RegExp(`^\\s{${indent}}["']?${esc}["']?\\s*:`);
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l.trim() !== '' && !l.trimStart().startsWith('#') && l.match(/^\s*/)![0].length < indent) break;
    if (same.test(l)) return `duplicate key '${raw}' (first at line ${i + 1}): a key may appear only once in a mapping`;
  }
  return `duplicate key '${raw}': a key may appear only once in a mapping`;
}

/** Parses one YAML document. Syntax errors and duplicate keys come back as problems. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const problems = doc.errors.map((e) => {
    const location = locateOffset(lineCounter, file, e.pos[0]);
    if (e.code === 'DUPLICATE_KEY') return new PmError('manifest.duplicate-key', duplicateKeyMessage(text, e.pos[0], e.pos[1]), { location });
    return new PmError('manifest.yaml-syntax', `YAML syntax error: ${e.message}`, { location });
  });
  return { doc: problems.length === 0 ? doc : undefined, lineCounter, problems };
}

/** Rewrites a string scalar; `interpolated` tells whether ${…} was expanded. */
export type StringTransform = (path: Path, value: string, location: SourceLocation) => { value: unknown; interpolated: boolean };

export interface ConvertResult {
  readonly value: unknown;
  readonly nodes: NodeIndex;
  readonly problems: PmError[];
}

/** Converts the document to plain JS values, recording each node's location. */
export function convertDocument(
  doc: Document,
  text: string,
  lc: LineCounter,
  file: string,
  transform: StringTransform,
): ConvertResult {
  const problems: PmError[] = [];
  const contents = doc.contents;
  const rootLoc = contents?.range ? locateOffset(lc, file, contents.range[0]) : { file, line: 1, col: 1 };
  const nodes = new NodeIndex(file, rootLoc);
  const active = new Set<YamlNode>();

  const loc = (offset: number): SourceLocation => locateOffset(lc, file, offset);
  /** Location of a node's first character, or `fallback` for nodes without a range (empty values). */
  const startOf = (node: unknown, fallback: SourceLocation): SourceLocation => {
    const range = (node as { range?: readonly number[] | null } | null)?.range;
    return range && typeof range[0] === 'number' ? loc(range[0]) : fallback;
  };

  const walk = (node: unknown, path: PathSeg[], keyLocation: SourceLocation | undefined, fallback: SourceLocation): unknown => {
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (!target) {
        problems.push(new PmError('manifest.yaml-syntax', `unknown alias *${node.source}`, { location: startOf(node, fallback) }));
        return null;
      }
      return walk(target, path, keyLocation, startOf(node, fallback));
    }
    const here = startOf(node, fallback);
    if (node === null || node === undefined) {
      nodes.set(path, { location: here, keyLocation, interpolated: false });
      return null;
    }
    if (active.has(node as YamlNode)) {
      problems.push(new PmError('manifest.yaml-syntax', 'an alias refers to a node that contains it', { location: here }));
      return null;
    }
    if (isScalar(node)) return scalar(node, path, keyLocation, here);
    if (isMap(node)) {
      active.add(node);
      nodes.set(path, { location: here, keyLocation, interpolated: false });
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key;
        const keyLoc = startOf(keyNode, here);
        if (keyNode !== null && !isScalar(keyNode)) {
          problems.push(new PmError('manifest.yaml-syntax', 'mapping keys must be plain values, not lists or mappings', { location: keyLoc }));
          continue;
        }
        const key = keyNode === null ? '' : String(keyNode.value);
        if (Object.prototype.hasOwnProperty.call(out, key)) {
          problems.push(new PmError('manifest.duplicate-key', `duplicate key '${key}' (keys are compared as strings)`, { location: keyLoc, path: formatPath([...path, key]) }));
          continue;
        }
        const v = walk(pair.value, [...path, key], keyLoc, keyLoc);
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      active.delete(node);
      return out;
    }
    if (isSeq(node)) {
      active.add(node);
      nodes.set(path, { location: here, keyLocation, interpolated: false });
      const out = node.items.map((item, i) => walk(item, [...path, i], undefined, here));
      active.delete(node);
      return out;
    }
    problems.push(new PmError('manifest.yaml-syntax', 'unsupported YAML node', { location: here }));
    return null;
  };

  const scalar = (node: Scalar, path: PathSeg[], keyLocation: SourceLocation | undefined, here: SourceLocation): unknown => {
    const raw = node.range ? text.slice(node.range[0], node.range[1]) : undefined;
    const v: unknown = node.value;
    if (typeof v === 'string') {
      const r = transform(path, v, here);
      nodes.set(path, { location: here, keyLocation, raw, interpolated: r.interpolated });
      return r.value;
    }
    nodes.set(path, { location: here, keyLocation, raw, interpolated: false });
    if (typeof v === 'bigint') return Number(v);
    return v;
  };

  const value = walk(contents, [], undefined, rootLoc);
  return { value, nodes, problems };
}
