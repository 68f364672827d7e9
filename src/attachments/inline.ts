/**
 * Inline images in a message's (already converted) text become attachments: markdown images
 * `![alt](src "title")` and raw `<img … src="…">` tags are replaced by a marker `[image: fileName]`
 * and the file is sent as an attachment flagged inline.
 *
 * - src equal to an attachment's url (exactly, or equal once a trailing slash is dropped on both
 *   sides; a different query string is a different file) → that attachment, marked inline.
 * - `cid:X` → the attachment whose contentId (angle brackets ignored) or, failing that, fileName is
 *   X (X is also tried percent-decoded). No match → `[image: X (not found)]` and a problem.
 * - any other http(s) src → a new attachment {url: src, fileName: last path segment, inline: true}.
 * - data: URIs are left alone. Other sources (relative paths) are left alone with a problem.
 *
 * Images inside code (fenced blocks, `code spans`) are not touched. The given attachments keep
 * their order (new ones follow, in order of first appearance); the input is not mutated and no
 * attachment is produced twice.
 */
import { decodeHtmlEntities, escapeHtmlAttribute } from '../core/html.js';
import type { AttachmentSpec } from './types.js';

export interface InlineResult {
  readonly text: string;
  readonly attachments: AttachmentSpec[];
  /** One line per image that could not be resolved, fit for a plan diagnostic. */
  readonly problems: string[];
}

// ![alt](src "title"): alt with one level of nested brackets; src in <…> or bare with balanced parens.
// Applied sticky at each "![": every run stops at the next bracket or paren, so scanning stays linear.
const MD_IMAGE =
  /!\[((?:\\.|[^\\[\]]|\[(?:\\.|[^\\[\]])*\])*)\]\(\s*(<(?:\\.|[^\\<>\n])*>|(?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))+)(?:\s+(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|\((?:\\.|[^()\\])*\)))?\s*\)/y;
/** Where an image may start: a markdown image or an <img> tag. */
const CANDIDATE = /!\[|<img(?=[\s/>])/gi;

/** The image as the text had it: its alt text, and for an <img> tag, the tag with another src. */
export interface InlineSource {
  readonly alt?: string;
  /** The same tag, every other attribute kept, with `src` (an attribute value, escaped here) instead. */
  readonly withSrc?: (src: string) => string;
}

/** What an inline image leaves in the text; a contentId it returns is set on the file. */
export type InlineMarker = (a: AttachmentSpec, index: number, source: InlineSource) => { readonly text: string; readonly contentId?: string };

/** Plain's markdown has no inline files: the image becomes a marker naming the file. */
export const IMAGE_MARKER: InlineMarker = (a) => ({ text: `[image: ${a.fileName}]` });

export function extractInlineImages(text: string, attachments: readonly AttachmentSpec[], marker: InlineMarker = IMAGE_MARKER): InlineResult {
  const list: AttachmentSpec[] = attachments.map((a) => ({ ...a }));
  const problems: string[] = [];
  const inCode = codeRangeTest(text);

  const replaceImage = (match: string, src: string, source: InlineSource): string => {
    const r = resolveSrc(src.trim(), list);
    switch (r.kind) {
      case 'attachment': {
        const a = list[r.index] as AttachmentSpec;
        a.inline = true;
        const m = marker(a, r.index, source);
        if (m.contentId !== undefined) a.contentId = m.contentId;
        return m.text;
      }
      case 'cid-missing':
        problems.push(`inline image cid:${r.id} matches no attachment of the message`);
        return `[image: ${r.id} (not found)]`;
      case 'leave':
        if (r.problem !== undefined) problems.push(r.problem);
        return match;
    }
  };

  let out = '';
  let last = 0;
  // After an <img that never closes, the rest of the text holds no tag (as an HTML tokenizer sees it).
  let tagsEnded = false;
  const candidates = new RegExp(CANDIDATE.source, CANDIDATE.flags);
  const md = new RegExp(MD_IMAGE.source, MD_IMAGE.flags);
  for (let c = candidates.exec(text); c !== null; c = candidates.exec(text)) {
    const at = c.index;
    if (inCode(at)) continue;
    let end: number;
    let replacement: string;
    if (c[0] === '![') {
      md.lastIndex = at;
      const m = md.exec(text);
      if (m === null) continue;
      end = at + m[0].length;
      replacement = replaceImage(m[0], markdownDestination(m[2] ?? ''), { alt: m[1] ?? '' });
    } else {
      if (tagsEnded) continue;
      const tag = parseTag(text, at);
      if (tag === null) {
        tagsEnded = true;
        continue;
      }
      end = tag.end;
      const src = tag.attrs.get('src');
      const raw = text.slice(at, end);
      const span = tag.srcSpan;
      const alt = tag.attrs.get('alt');
      const source: InlineSource = {
        ...(alt !== undefined ? { alt: decodeHtmlEntities(alt) } : {}),
        ...(span ? { withSrc: (s: string) => `${text.slice(at, span[0])}"${escapeHtmlAttribute(s)}"${text.slice(span[1], end)}` } : {}),
      };
      replacement = src === undefined ? raw : replaceImage(raw, decodeHtmlEntities(src), source);
    }
    out += text.slice(last, at) + replacement;
    last = end;
    candidates.lastIndex = end;
  }
  return { text: out + text.slice(last), attachments: list, problems };
}

/**
 * An <img …> tag at `at`, read like an HTML tokenizer: attribute values quoted with " or ' right
 * after "=" may hold ">". Null when the tag never closes. Names are lower-cased; the first wins.
 */
function parseTag(text: string, at: number): { end: number; attrs: Map<string, string>; srcSpan?: [number, number] } | null {
  const attrs = new Map<string, string>();
  let srcSpan: [number, number] | undefined;
  const n = text.length;
  const isSpace = (ch: string | undefined): boolean => ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f';
  let i = at + 4;
  for (;;) {
    while (i < n && (isSpace(text[i]) || text[i] === '/')) i++;
    if (i >= n) return null;
    if (text[i] === '>') return { end: i + 1, attrs, ...(srcSpan ? { srcSpan } : {}) };
    const nameStart = i;
    while (i < n && !isSpace(text[i]) && text[i] !== '/' && text[i] !== '>' && (text[i] !== '=' || i === nameStart)) i++;
    const name = text.slice(nameStart, i).toLowerCase();
    let j = i;
    while (j < n && isSpace(text[j])) j++;
    let value = '';
    let span: [number, number] | undefined;
    if (text[j] === '=') {
      j++;
      while (j < n && isSpace(text[j])) j++;
      const q = text[j];
      if (q === '"' || q === "'") {
        const close = text.indexOf(q, j + 1);
        if (close < 0) return null;
        value = text.slice(j + 1, close);
        span = [j, close + 1];
        i = close + 1;
      } else {
        const start = j;
        while (j < n && !isSpace(text[j]) && text[j] !== '>') j++;
        value = text.slice(start, j);
        span = [start, j];
        i = j;
      }
    }
    if (!attrs.has(name)) {
      attrs.set(name, value);
      if (name === 'src' && span) srcSpan = span;
    }
  }
}

type Resolved = { kind: 'attachment'; index: number } | { kind: 'cid-missing'; id: string } | { kind: 'leave'; problem?: string };

function resolveSrc(src: string, list: AttachmentSpec[]): Resolved {
  if (src === '' || /^data:/i.test(src)) return { kind: 'leave' };
  const byUrl = list.findIndex((a) => a.url !== undefined && (a.url === src || stripSlash(a.url) === stripSlash(src)));
  if (byUrl >= 0) return { kind: 'attachment', index: byUrl };
  if (/^cid:/i.test(src)) {
    const id = src.slice(4);
    const keys = new Set([stripAngles(id), stripAngles(safeDecode(id))]);
    let index = list.findIndex((a) => a.contentId !== undefined && keys.has(stripAngles(a.contentId)));
    if (index < 0) index = list.findIndex((a) => keys.has(a.fileName));
    return index >= 0 ? { kind: 'attachment', index } : { kind: 'cid-missing', id };
  }
  if (/^https?:\/\//i.test(src)) {
    let u: URL;
    try {
      u = new URL(src);
    } catch {
      return { kind: 'leave', problem: `inline image with an invalid URL left as is` };
    }
    list.push({ url: src, fileName: lastSegment(u), inline: true });
    return { kind: 'attachment', index: list.length - 1 };
  }
  return { kind: 'leave', problem: `inline image ${JSON.stringify(src.split(/[?#]/)[0])} is not an attachment, cid: or http(s) URL: left as is` };
}

function lastSegment(u: URL): string {
  const seg = u.pathname.split('/').filter((s) => s !== '').pop() ?? '';
  const name = safeDecode(seg).replace(/[\/\\\x00-\x1f]/g, '_').trim();
  return name === '' ? 'image' : name;
}

function stripSlash(s: string): string {
  return s.endsWith('/') ? s.replace(/\/+$/, '') : s;
}

function stripAngles(s: string): string {
  const t = s.trim();
  return t.startsWith('<') && t.endsWith('>') ? t.slice(1, -1) : t;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** A markdown link destination as the URL it denotes: <…> removed, backslash escapes undone. */
function markdownDestination(dest: string): string {
  const d = dest.startsWith('<') && dest.endsWith('>') ? dest.slice(1, -1) : dest;
  return d.replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

/** A test for "is this offset inside a fenced code block or an inline code span", by binary search. */
function codeRangeTest(text: string): (at: number) => boolean {
  const fences: Array<[number, number]> = [];
  const fence = /^ {0,3}(`{3,}|~{3,})/;
  let open: { char: string; len: number; start: number } | undefined;
  let pos = 0;
  for (const line of text.split('\n')) {
    const m = fence.exec(line);
    const run = m?.[1];
    if (open === undefined) {
      if (run !== undefined) open = { char: run.charAt(0), len: run.length, start: pos };
    } else if (m && run !== undefined && run.charAt(0) === open.char && run.length >= open.len && line.slice(m[0].length).trim() === '') {
      fences.push([open.start, pos + line.length]);
      open = undefined;
    }
    pos += line.length + 1;
  }
  if (open !== undefined) fences.push([open.start, text.length]);

  // Spans in the text between fences (a span does not cross a blank line: that ends the paragraph).
  const ranges: Array<[number, number]> = [];
  let segStart = 0;
  for (const [fs, fe] of [...fences, [text.length, text.length] as [number, number]]) {
    const segment = text.slice(segStart, fs);
    const span = /(?<!`)(`+)(?!`)(?:(?!\n[ \t]*\n)[\s\S])*?(?<!`)\1(?!`)/g;
    for (let m = span.exec(segment); m !== null; m = span.exec(segment)) ranges.push([segStart + m.index, segStart + m.index + m[0].length]);
    if (fe > fs) ranges.push([fs, fe]);
    segStart = fe;
  }

  return (at) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [s, e] = ranges[mid] as [number, number];
      if (at < s) hi = mid - 1;
      else if (at >= e) lo = mid + 1;
      else return true;
    }
    return false;
  };
}
