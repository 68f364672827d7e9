/**
 * $htmlToMarkdown: HTML → Markdown, giving exactly what turndown 7.2.5 gives with our options
 * (atx headings, fenced code, `-` bullets, `_` emphasis) on its default parser (domino), three to
 * eight times as fast.
 *
 * Why our own code rather than the library: turndown on domino was half of a first plan's CPU
 * (issue 17), and the faster converters measured (node-html-markdown, mdream) write different
 * Markdown — glued words, lost paragraph breaks, lists that are no longer nested — which would also
 * change the input hash of every message already imported. This module keeps turndown's output byte
 * for byte, so existing states see no change: the HTML is parsed by parse5 (the WHATWG parsing
 * algorithm, as domino, at twice its speed, with scripting off as domino has it) into a small tree of
 * our own, and turndown's algorithm — whitespace collapsing, the rules, the joining of blocks — runs
 * over that tree with each element's text computed once instead of once per ancestor. Well-formed
 * HTML that needs none of the standard's repairs (most helpdesk HTML) skips parse5: a simple parser
 * builds the same tree (parseSimple). test/mapping/markdown-parity.test.ts compares the result with
 * turndown on a corpus and on generated tag soup, and the simple parser with parse5.
 *
 * The algorithm and rules are turndown's (MIT, © Dom Christie), its whitespace collapsing from
 * collapse-whitespace (MIT, © Luc Thevenard).
 */
import { createRequire } from 'node:module';
import type { html as htmlSpec, TreeAdapter, TreeAdapterTypeMap, Token } from 'parse5';

/**
 * parse5 and entities are loaded the first time they are needed, not by every command that can map a
 * record: the simple parser takes most helpdesk HTML without parse5, a body without `&` needs no
 * decoding, and a re-plan that the plan cache answers converts nothing (the two were about 70 ms of a
 * command's start). Both are ES modules, taken with require (Node ≥ 20.19): a conversion is synchronous.
 */
const load = createRequire(import.meta.url);
let parse5: typeof import('parse5') | undefined;
let entities: typeof import('entities/decode') | undefined;
const decodeHTML = (s: string): string => (entities ??= load('entities/decode') as typeof import('entities/decode')).decodeHTML(s);
const decodeHTMLAttribute = (s: string): string => (entities ??= load('entities/decode') as typeof import('entities/decode')).decodeHTMLAttribute(s);

const ELEMENT = 1;
const TEXT = 3;
const COMMENT = 8;
const OTHER = 0;

/** parse5's html.NS.HTML. */
const HTML_NS = 'http://www.w3.org/1999/xhtml' as htmlSpec.NS.HTML;

interface Flank {
  readonly leading: string;
  readonly trailing: string;
}

/**
 * What text and comment nodes (which have none) and elements without attributes share, instead of an
 * empty array each: most of a body's nodes, and most of the converter's garbage was its nodes.
 */
const NO_CHILDREN: MdNode[] = Object.freeze([]) as unknown as MdNode[];
const NO_ATTRS: Token.Attribute[] = Object.freeze([]) as unknown as Token.Attribute[];

/** A node of the parsed tree, with turndown's annotations. */
class MdNode {
  kind: number;
  /** As DOM's nodeName: ASCII upper case for HTML elements, the qualified name for SVG and MathML ones. */
  name: string;
  /** An element's namespace and tag name as the parser gave them (empty for other nodes). */
  ns: string = '';
  tag: string = '';
  attrs: Token.Attribute[];
  /** Empty and shared (NO_CHILDREN) for a text or comment node. */
  children: MdNode[];
  parent: MdNode | null = null;
  /** A text or comment node's data. */
  data: string;
  content: MdNode | null = null;
  isBlock = false;
  isCode = false;
  flank: Flank | null = null;
  /** Element children only (DOM's `children`), made when first asked for. */
  private elementChildren: MdNode[] | null = null;
  /** textContent, cached once the tree stops changing (after whitespace collapsing). */
  private text: string | null = null;

  constructor(kind: number, name: string, data: string, attrs: Token.Attribute[]) {
    this.kind = kind;
    this.name = name;
    this.data = data;
    this.attrs = attrs;
    this.children = kind === TEXT || kind === COMMENT ? NO_CHILDREN : [];
  }

  getAttribute(name: string): string | null {
    for (const a of this.attrs) if (a.name === name && !a.namespace) return a.value;
    return null;
  }

  get previousSibling(): MdNode | null {
    const s = this.parent!.children;
    const i = s.indexOf(this);
    return i > 0 ? s[i - 1]! : null;
  }

  get nextSibling(): MdNode | null {
    const s = this.parent!.children;
    const i = s.indexOf(this);
    return i + 1 < s.length ? s[i + 1]! : null;
  }

  get elements(): MdNode[] {
    return (this.elementChildren ??= this.children.filter((c) => c.kind === ELEMENT));
  }

  /** DOM's textContent: a text or comment node's data, an element's descendant text. */
  get textContent(): string {
    if (this.kind !== ELEMENT) return this.data;
    if (this.text === null) {
      let s = '';
      for (const c of this.children) if (c.kind === TEXT) s += c.data;
      else if (c.kind === ELEMENT) s += c.textContent;
      this.text = s;
    }
    return this.text;
  }
}

type MdTypes = TreeAdapterTypeMap<MdNode, MdNode, MdNode, MdNode, MdNode, MdNode, MdNode, MdNode, MdNode, MdNode>;

/** Upper case of the ASCII letters only, as DOM's nodeName (`ı` must not become `I`). */
function asciiUpper(s: string): string {
  let u = UPPER.get(s);
  if (u === undefined) {
    u = s.replace(/[a-z]+/g, (l) => l.toUpperCase());
    if (UPPER.size < 1000) UPPER.set(s, u);
  }
  return u;
}
const UPPER = new Map<string, string>();

function appendChild(parent: MdNode, node: MdNode): void {
  parent.children.push(node);
  node.parent = parent;
}

function element(tag: string, attrs: Token.Attribute[], ns: string = HTML_NS): MdNode {
  const n = new MdNode(ELEMENT, ns === HTML_NS ? asciiUpper(tag) : tag, '', attrs);
  n.ns = ns;
  n.tag = tag;
  return n;
}

/** Text at the end of a parent: joined to a text node already there, as the parser does. */
function insertText(parent: MdNode, text: string): void {
  const s = parent.children;
  // (Never s[-1]: an index below 0 is a property look-up up the prototype chain, measured slow.)
  const last = s.length > 0 ? s[s.length - 1]! : null;
  if (last !== null && last.kind === TEXT) last.data += text;
  else appendChild(parent, new MdNode(TEXT, '#text', text, NO_ATTRS));
}

/** parse5 building our nodes directly (the parser's own tree would have to be walked and copied). */
const adapter: TreeAdapter<MdTypes> = {
  createDocument: () => new MdNode(OTHER, '#document', '', []),
  createDocumentFragment: () => new MdNode(OTHER, '#document-fragment', '', []),
  createElement: (tagName, ns, attrs) => element(tagName, attrs, ns),
  createCommentNode: (data) => new MdNode(COMMENT, '#comment', data, NO_ATTRS),
  createTextNode: (value) => new MdNode(TEXT, '#text', value, NO_ATTRS),
  appendChild(parent, node) {
    // The parsing algorithm has put an <hr> in a <select> since 2019; domino's, older, drops it.
    if (node.name === 'HR' && parent.name === 'SELECT' && node.ns === HTML_NS) return;
    appendChild(parent, node);
  },
  insertBefore(parent, node, ref) {
    parent.children.splice(parent.children.lastIndexOf(ref), 0, node);
    node.parent = parent;
  },
  setTemplateContent(template, content) {
    template.content = content;
  },
  getTemplateContent: (template) => template.content!,
  setDocumentType(document, name) {
    if (!document.children.some((c) => c.name === '#documentType')) appendChild(document, new MdNode(OTHER, '#documentType', name, []));
  },
  // No doctype: quirks mode, where a <table> does not close an open <p>.
  setDocumentMode(document, mode) {
    document.data = mode;
  },
  getDocumentMode: (document) => document.data as htmlSpec.DOCUMENT_MODE,
  detachNode(node) {
    if (!node.parent) return;
    const s = node.parent.children;
    s.splice(s.lastIndexOf(node), 1);
    node.parent = null;
  },
  insertText,
  insertTextBefore(parent, text, ref) {
    const s = parent.children;
    const i = s.lastIndexOf(ref);
    const prev = s[i - 1];
    if (prev && prev.kind === TEXT) prev.data += text;
    else {
      const t = new MdNode(TEXT, '#text', text, NO_ATTRS);
      s.splice(i, 0, t);
      t.parent = parent;
    }
  },
  adoptAttributes(recipient, attrs) {
    const have = new Set(recipient.attrs.map((a) => a.name));
    for (const a of attrs) if (!have.has(a.name)) recipient.attrs.push(a);
  },
  getFirstChild: (node) => node.children[0] ?? null,
  getChildNodes: (node) => node.children,
  getParentNode: (node) => node.parent,
  getAttrList: (element) => element.attrs,
  getTagName: (element) => element.tag,
  getNamespaceURI: (element) => element.ns as htmlSpec.NS,
  getTextNodeContent: (node) => node.data,
  getCommentNodeContent: (node) => node.data,
  getDocumentTypeNodeName: (node) => node.data,
  getDocumentTypeNodePublicId: () => '',
  getDocumentTypeNodeSystemId: () => '',
  isTextNode: (node): node is MdNode => node.kind === TEXT,
  isCommentNode: (node): node is MdNode => node.kind === COMMENT,
  isDocumentTypeNode: (node): node is MdNode => node.name === '#documentType',
  isElementNode: (node): node is MdNode => node.kind === ELEMENT,
  setNodeSourceCodeLocation() {},
  getNodeSourceCodeLocation: () => undefined,
  updateNodeSourceCodeLocation() {},
};

const BLOCK = new Set(['ADDRESS', 'ARTICLE', 'ASIDE', 'AUDIO', 'BLOCKQUOTE', 'BODY', 'CANVAS', 'CENTER', 'DD', 'DIR', 'DIV', 'DL', 'DT', 'FIELDSET', 'FIGCAPTION', 'FIGURE', 'FOOTER', 'FORM', 'FRAMESET', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'HEADER', 'HGROUP', 'HR', 'HTML', 'ISINDEX', 'LI', 'MAIN', 'MENU', 'NAV', 'NOFRAMES', 'NOSCRIPT', 'OL', 'OUTPUT', 'P', 'PRE', 'SECTION', 'TABLE', 'TBODY', 'TD', 'TFOOT', 'TH', 'THEAD', 'TR', 'UL']);
const VOID = new Set(['AREA', 'BASE', 'BR', 'COL', 'COMMAND', 'EMBED', 'HR', 'IMG', 'INPUT', 'KEYGEN', 'LINK', 'META', 'PARAM', 'SOURCE', 'TRACK', 'WBR']);
const MEANINGFUL_WHEN_BLANK = new Set(['A', 'TABLE', 'THEAD', 'TBODY', 'TFOOT', 'TH', 'TD', 'IFRAME', 'SCRIPT', 'AUDIO', 'VIDEO']);

const isBlock = (n: MdNode): boolean => BLOCK.has(n.name);
const isVoid = (n: MdNode): boolean => VOID.has(n.name);

/**
 * Whether an HTML element has a void or meaningful-when-blank descendant, as DOM getElementsByTagName
 * of each (upper-case) name finds them; on an SVG or MathML element that finds nothing.
 */
function hasVoidOrMeaningful(n: MdNode): boolean {
  return n.ns === HTML_NS && hasVoidOrMeaningfulBelow(n);
}

function hasVoidOrMeaningfulBelow(n: MdNode): boolean {
  for (const c of n.children) {
    if (c.kind !== ELEMENT) continue;
    if (VOID.has(c.name) || MEANINGFUL_WHEN_BLANK.has(c.name) || hasVoidOrMeaningfulBelow(c)) return true;
  }
  return false;
}

/** Whether a character is one of JavaScript's `\s` (WhiteSpace and LineTerminator). */
function isJsSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** `[ \t\r\n]`, the whitespace turndown keeps apart from the rest of `\s`. */
const isAsciiSpace = (c: number): boolean => c === 32 || c === 9 || c === 13 || c === 10;

/**
 * `/^\s*$/.test(n.textContent)` without making the text: whether every text below the element is
 * whitespace (textContent is its texts in document order; comments are not part of it).
 */
function textIsBlank(n: MdNode): boolean {
  for (const c of n.children) {
    if (c.kind === TEXT) {
      const d = c.data;
      for (let i = 0; i < d.length; i++) if (!isJsSpace(d.charCodeAt(i))) return false;
    } else if (c.kind === ELEMENT && !textIsBlank(c)) return false;
  }
  return true;
}

// ---- whitespace (collapse-whitespace, as turndown has it) ----

interface CollapseState {
  prevText: MdNode | null;
  keepLeadingWs: boolean;
}

/** `s.replace(/ $/, '')` */
const withoutTrailingSpace = (s: string): string => (s.endsWith(' ') ? s.substring(0, s.length - 1) : s);

function elementStep(node: MdNode, st: CollapseState): void {
  if (isBlock(node) || node.name === 'BR') {
    if (st.prevText) st.prevText.data = withoutTrailingSpace(st.prevText.data);
    st.prevText = null;
    st.keepLeadingWs = false;
  } else if (isVoid(node) || node.name === 'PRE') {
    st.prevText = null;
    st.keepLeadingWs = true;
  } else if (st.prevText) {
    st.keepLeadingWs = false;
  }
}

/**
 * turndown walks the tree in document order, visiting an element when it enters it and again when it
 * comes back out of its children (if it had any when entered), and not entering a PRE.
 */
const COLLAPSIBLE = /[\r\n\t]| {2}/;

function collapseChildren(parent: MdNode, st: CollapseState): void {
  const s = parent.children;
  let i = 0;
  while (i < s.length) {
    const node = s[i]!;
    if (node.kind === TEXT) {
      // Runs of spaces, tabs and newlines become one space (most texts have none but single spaces).
      let text = COLLAPSIBLE.test(node.data) ? node.data.replace(/[ \r\n\t]+/g, ' ') : node.data;
      if ((!st.prevText || st.prevText.data.endsWith(' ')) && !st.keepLeadingWs && text[0] === ' ') text = text.substring(1);
      if (!text) {
        s.splice(i, 1);
        continue;
      }
      node.data = text;
      st.prevText = node;
    } else if (node.kind === ELEMENT) {
      elementStep(node, st);
      if (node.name !== 'PRE' && node.children.length > 0) {
        collapseChildren(node, st);
        elementStep(node, st);
      }
    } else {
      s.splice(i, 1);
      continue;
    }
    i++;
  }
}

function collapseWhitespace(root: MdNode): void {
  if (root.children.length === 0 || root.name === 'PRE') return;
  const st: CollapseState = { prevText: null, keepLeadingWs: false };
  collapseChildren(root, st);
  if (st.prevText) {
    const p = st.prevText;
    p.data = withoutTrailingSpace(p.data);
    if (!p.data) p.parent!.children.splice(p.parent!.children.indexOf(p), 1);
  }
}

// ---- turndown ----

const ESCAPES: [RegExp, string][] = [
  [/\\/g, '\\\\'],
  [/\*/g, '\\*'],
  [/^-/g, '\\-'],
  [/^\+ /g, '\\+ '],
  [/^(=+)/g, '\\$1'],
  [/^(#{1,6}) /g, '\\$1 '],
  [/`/g, '\\`'],
  [/^~~~/g, '\\~~~'],
  [/\[/g, '\\['],
  [/\]/g, '\\]'],
  [/^>/g, '\\>'],
  [/_/g, '\\_'],
  [/^(\d+)\. /g, '$1\\. '],
];
/** A text none of the escapes can touch: each replacement would leave it as it is, so none runs. */
const NOTHING_TO_ESCAPE = /^(?![-+=#~>\d])[^\\*`[\]_]*$/;

function escapeMarkdown(s: string): string {
  if (NOTHING_TO_ESCAPE.test(s)) return s;
  for (const [re, to] of ESCAPES) s = s.replace(re, to);
  return s;
}

function trimLeadingNewlines(s: string): string {
  let i = 0;
  while (i < s.length && s.charCodeAt(i) === 10) i++;
  return i === 0 ? s : s.substring(i);
}

function trimTrailingNewlines(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 10) end--;
  return end === s.length ? s : s.substring(0, end);
}

const trimNewlines = (s: string): string => trimTrailingNewlines(trimLeadingNewlines(s));

/** turndown's isBlank, for an element (the only nodes whose rule is looked up). */
function isBlank(n: MdNode): boolean {
  return !isVoid(n) && !MEANINGFUL_WHEN_BLANK.has(n.name) && textIsBlank(n) && !hasVoidOrMeaningful(n);
}

const NO_FLANK: Flank = { leading: '', trailing: '' };

function isFlankedByWhitespace(side: 'left' | 'right', n: MdNode): boolean {
  const sibling = side === 'left' ? n.previousSibling : n.nextSibling;
  if (!sibling) return false;
  let text: string;
  if (sibling.kind === TEXT) text = sibling.data;
  else if (sibling.kind === ELEMENT && !isBlock(sibling)) text = sibling.textContent;
  else return false;
  return side === 'left' ? text.endsWith(' ') : text.startsWith(' ');
}

function flankingWhitespace(n: MdNode): Flank {
  if (n.isBlock) return NO_FLANK;
  // turndown's edge-whitespace regexp, /^(([ \t\r\n]*)(\s*))(?:(?=\S)[\s\S]*\S)?((\s*?)([ \t\r\n]*))$/,
  // by hand: leading = m[1] (all leading \s), of which m[2] its [ \t\r\n] start and m[3] the rest;
  // trailing = m[4] (all trailing \s, none when the text is all whitespace), of which m[6] its
  // [ \t\r\n] end and m[5] the rest. Most texts start and end with neither, seen at once.
  const t = n.textContent;
  const len = t.length;
  let lead = 0;
  while (lead < len && isJsSpace(t.charCodeAt(lead))) lead++;
  if (lead === 0 && len > 0 && !isJsSpace(t.charCodeAt(len - 1))) return NO_FLANK;
  let ascii = 0;
  while (ascii < lead && isAsciiSpace(t.charCodeAt(ascii))) ascii++;
  let leading = t.substring(0, lead);
  let trailing = '';
  if (ascii > 0 && isFlankedByWhitespace('left', n)) leading = t.substring(ascii, lead);
  if (lead < len) {
    let trail = 0;
    while (isJsSpace(t.charCodeAt(len - 1 - trail))) trail++;
    let asciiEnd = 0;
    while (asciiEnd < trail && isAsciiSpace(t.charCodeAt(len - 1 - asciiEnd))) asciiEnd++;
    trailing = t.substring(len - trail);
    if (asciiEnd > 0 && isFlankedByWhitespace('right', n)) trailing = t.substring(len - trail, len - asciiEnd);
  }
  return leading || trailing ? { leading, trailing } : NO_FLANK;
}

/**
 * turndown's output while it is joined, as all but its last piece and that piece: trailing newlines are
 * never split between pieces, so join looks only at the last.
 */
interface Output {
  done: string;
  last: string;
}

/** turndown's join: at most two newlines between two pieces, from the newlines at their ends. */
function join(output: Output, replacement: string): void {
  const tail = output.last;
  const s1 = trimTrailingNewlines(tail);
  const s2 = trimLeadingNewlines(replacement);
  const nls = Math.max(tail.length - s1.length, replacement.length - s2.length);
  const separator = '\n\n'.substring(0, nls);
  if (s2) {
    output.done += s1 + separator;
    output.last = s2;
  } else if (separator) {
    output.done += s1;
    output.last = separator;
  } else output.last = s1;
}

const joined = (output: Output): string => output.done + output.last;

function process(parent: MdNode): Output {
  const output: Output = { done: '', last: '' };
  for (const node of parent.children) {
    node.isBlock = node.kind === ELEMENT && isBlock(node);
    node.isCode = node.name === 'CODE' || parent.isCode;
    let replacement = '';
    if (node.kind === TEXT) replacement = node.isCode ? node.data : escapeMarkdown(node.data);
    else if (node.kind === ELEMENT) {
      node.flank = flankingWhitespace(node);
      replacement = replacementForNode(node);
    }
    join(output, replacement);
  }
  return output;
}

function replacementForNode(node: MdNode): string {
  let content = joined(process(node));
  const { leading, trailing } = node.flank!;
  if (leading || trailing) content = content.trim();
  return leading + rule(content, node) + trailing;
}

function cleanAttribute(a: string | null): string {
  return a ? a.replace(/(\n+\s*)+/g, '\n') : '';
}

function escapeLinkDestination(d: string): string {
  const escaped = d.replace(/([<>()])/g, '\\$1');
  return escaped.includes(' ') ? `<${escaped}>` : escaped;
}

const escapeLinkTitle = (t: string): string => t.replace(/"/g, '\\"');

/** turndown's rules, first match wins, in its order; a blank element first. */
function rule(content: string, node: MdNode): string {
  if (isBlank(node)) return node.isBlock ? '\n\n' : '';
  const name = node.name;
  switch (name) {
    case 'P':
      return `\n\n${content}\n\n`;
    case 'BR':
      return '  \n';
    case 'H1':
    case 'H2':
    case 'H3':
    case 'H4':
    case 'H5':
    case 'H6':
      return `\n\n${'#'.repeat(Number(name.charAt(1)))} ${content}\n\n`;
    case 'BLOCKQUOTE':
      return `\n\n${trimNewlines(content).replace(/^/gm, '> ')}\n\n`;
    case 'UL':
    case 'OL': {
      const parent = node.parent!;
      return parent.name === 'LI' && parent.elements[parent.elements.length - 1] === node ? `\n${content}` : `\n\n${content}\n\n`;
    }
    case 'LI': {
      let prefix = '-   ';
      const parent = node.parent!;
      if (parent.name === 'OL') {
        const start = parent.getAttribute('start');
        const index = parent.elements.indexOf(node);
        prefix = `${start ? Number(start) + index : index + 1}.  `;
      }
      const isParagraph = content.endsWith('\n');
      content = trimNewlines(content) + (isParagraph ? '\n' : '');
      if (content.includes('\n')) content = content.replace(/\n/gm, '\n' + ' '.repeat(prefix.length));
      return prefix + content + (node.nextSibling ? '\n' : '');
    }
    case 'PRE': {
      const code = node.children[0];
      if (!code || code.name !== 'CODE') break;
      const className = code.getAttribute('class') || '';
      const language = (/language-(\S+)/.exec(className) ?? [null, ''])[1];
      const text = code.textContent;
      let fenceSize = 3;
      if (text.includes('```')) for (const m of text.matchAll(/^`{3,}/gm)) if (m[0].length >= fenceSize) fenceSize = m[0].length + 1;
      const fence = '`'.repeat(fenceSize);
      return `\n\n${fence}${language}\n${text.replace(/\n$/, '')}\n${fence}\n\n`;
    }
    case 'HR':
      return '\n\n* * *\n\n';
    case 'A': {
      const href = node.getAttribute('href');
      if (!href) break;
      const title = escapeLinkTitle(cleanAttribute(node.getAttribute('title')));
      return `[${content}](${escapeLinkDestination(href)}${title ? ` "${title}"` : ''})`;
    }
    case 'EM':
    case 'I':
      return content.trim() ? `_${content}_` : '';
    case 'STRONG':
    case 'B':
      return content.trim() ? `**${content}**` : '';
    case 'CODE': {
      const parent = node.parent!;
      const isCodeBlock = parent.name === 'PRE' && parent.children.length === 1;
      if (isCodeBlock) break;
      if (!content) return '';
      content = content.replace(/\r?\n|\r/g, ' ');
      const extraSpace = /^`|^ .*?[^ ].* $|`$/.test(content) ? ' ' : '';
      let delimiter = '`';
      const runs: string[] = content.match(/`+/gm) ?? [];
      while (runs.includes(delimiter)) delimiter += '`';
      return delimiter + extraSpace + content + extraSpace + delimiter;
    }
    case 'IMG': {
      const alt = escapeMarkdown(cleanAttribute(node.getAttribute('alt')));
      const src = escapeLinkDestination(node.getAttribute('src') || '');
      const title = cleanAttribute(node.getAttribute('title'));
      return src ? `![${alt}](${src}${title ? ` "${escapeLinkTitle(title)}"` : ''})` : '';
    }
  }
  return node.isBlock ? `\n\n${content}\n\n` : content;
}

/** The first element, in document order, whose id is turndown's root id (as DOM getElementById). */
function findRoot(n: MdNode): MdNode | null {
  for (const c of n.children) {
    if (c.kind !== ELEMENT) continue;
    if (c.getAttribute('id') === 'turndown-root') return c;
    const r = findRoot(c);
    if (r) return r;
  }
  return null;
}

// ---- well-formed HTML without parse5 ----

/** The tags the simple parser takes; anything else goes to parse5. */
const SIMPLE_TAGS = new Set([
  'p', 'div', 'span', 'br', 'b', 'i', 'em', 'strong', 'u', 's', 'strike', 'a', 'ul', 'ol', 'li', 'blockquote', 'pre', 'code',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'img', 'wbr', 'font', 'small', 'big', 'sub', 'sup', 'tt', 'center', 'section',
  'article', 'header', 'footer', 'nav', 'aside', 'main', 'figure', 'figcaption', 'address', 'abbr', 'cite', 'q', 'kbd', 'samp',
  'var', 'mark', 'del', 'ins', 'label', 'time',
]);
const SIMPLE_VOID = new Set(['br', 'hr', 'img', 'wbr']);
/** Start tags that close an open <p> (the standard's list, as far as SIMPLE_TAGS go). */
const CLOSES_P = new Set([
  'address', 'article', 'aside', 'blockquote', 'center', 'div', 'figcaption', 'figure', 'footer', 'header', 'main', 'nav', 'ol',
  'p', 'section', 'ul', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'li', 'hr',
]);
/** The standard's "special" elements among SIMPLE_TAGS, but address, div and p (where an <li> stops looking for an open one). */
const LI_STOP = new Set(['article', 'aside', 'blockquote', 'br', 'center', 'figcaption', 'figure', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'img', 'li', 'main', 'nav', 'ol', 'pre', 'section', 'ul', 'wbr']);
/** h1 … h6 */
const isHeading = (tag: string): boolean => tag.length === 2 && tag.charCodeAt(0) === 104 && tag.charCodeAt(1) >= 49 && tag.charCodeAt(1) <= 54;

/** What the simple parser needs to know of a tag, found with one look-up. */
interface SimpleTag {
  /** nodeName */
  readonly name: string;
  readonly isVoid: boolean;
  readonly closesP: boolean;
  readonly heading: boolean;
}
const SIMPLE = new Map<string, SimpleTag>(
  [...SIMPLE_TAGS].map((tag) => [tag, { name: asciiUpper(tag), isVoid: SIMPLE_VOID.has(tag), closesP: CLOSES_P.has(tag), heading: isHeading(tag) }]),
);
/** The tokenizer's whitespace, `[\t\n\f ]` (a \r is gone by then). */
const isTagSpace = (c: number): boolean => c === 32 || c === 10 || c === 9 || c === 12;

/** Where a tag name ends (`[\t\n\f />]`) at or after `from`, or -1. */
function tagNameEnd(html: string, from: number): number {
  for (let k = from; k < html.length; k++) {
    const c = html.charCodeAt(k);
    if (c === 62 || c === 47 || isTagSpace(c)) return k;
  }
  return -1;
}

function skipTagSpaces(html: string, from: number): number {
  while (from < html.length && isTagSpace(html.charCodeAt(from))) from++;
  return from;
}

/** Lower case of the ASCII letters only, as the tokenizer does (a Kelvin sign is not a k). */
function asciiLower(s: string): string {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 65 && c <= 90) return s.replace(/[A-Z]/g, (l) => l.toLowerCase());
  }
  return s;
}

/**
 * The tree the HTML standard's parser builds, for HTML it can build without any of its repairs: tags
 * from SIMPLE_TAGS only, each closed by its own end tag in order (or left open at the end), no <p>
 * left open by a block, no <li> left open by another, no <a> in an <a>, plain comments, no NUL.
 * Anything else returns null, and parse5 parses it. (Most helpdesk HTML is like this: the bench bodies
 * are, and the converter's time halves.)
 */
function parseSimple(html: string): MdNode | null {
  if (html.includes('\0')) return null;
  if (html.includes('\r')) html = html.replace(/\r\n?/g, '\n');
  const root = element('x-turndown', [{ name: 'id', value: 'turndown-root' }]);
  const stack: MdNode[] = [root];
  let openP = 0;
  let openA = 0;
  let i = 0;
  const text = (t: string): void => insertText(stack[stack.length - 1]!, t);
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const end = lt < 0 ? html.length : lt;
    if (end > i) {
      const raw = html.substring(i, end);
      text(raw.includes('&') ? decodeHTML(raw) : raw);
    }
    if (lt < 0) break;
    i = lt;
    const c = html.charCodeAt(i + 1);
    const alpha = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
    if (c === 33 /* ! */) {
      if (!html.startsWith('<!--', i)) return null;
      const end = html.indexOf('-->', i + 4);
      if (end < 0) return null;
      const data = html.substring(i + 4, end);
      if (data.startsWith('>') || data.startsWith('->') || data.includes('--!>') || data.endsWith('-')) return null;
      const cur = stack[stack.length - 1]!;
      const comment = new MdNode(COMMENT, '#comment', data, NO_ATTRS);
      appendChild(cur, comment);
      i = end + 3;
      continue;
    }
    if (c === 47 /* / */) {
      const e = tagNameEnd(html, i + 2);
      if (e < 0 || html.charCodeAt(e) !== 62) return null;
      const tag = asciiLower(html.substring(i + 2, e));
      const cur = stack[stack.length - 1]!;
      if (stack.length === 1 || cur.tag !== tag) return null;
      stack.pop();
      if (tag === 'p') openP--;
      else if (tag === 'a') openA--;
      i = e + 1;
      continue;
    }
    if (!alpha) {
      // Not a tag: the standard makes the '<' text.
      if (c === 63 /* ? */) return null;
      text('<');
      i++;
      continue;
    }
    const e = tagNameEnd(html, i + 1);
    if (e < 0) return null;
    const tag = asciiLower(html.substring(i + 1, e));
    const info = SIMPLE.get(tag);
    if (info === undefined) return null;
    // Attributes.
    let j = e;
    let attrs = NO_ATTRS;
    let selfClosing = false;
    for (;;) {
      j = skipTagSpaces(html, j);
      const ch = html[j];
      if (ch === '>') break;
      if (ch === '/') {
        if (html[j + 1] !== '>') return null;
        selfClosing = true;
        j++;
        break;
      }
      if (ch === undefined) return null;
      // The name: [^\t\n\f />=]+, and none of "'< (which the standard calls errors).
      const nameStart = j;
      for (; j < html.length; j++) {
        const c = html.charCodeAt(j);
        if (c === 62 || c === 47 || c === 61 || isTagSpace(c)) break;
        if (c === 34 || c === 39 || c === 60) return null;
      }
      if (j === nameStart) return null;
      const name = asciiLower(html.substring(nameStart, j));
      const afterName = skipTagSpaces(html, j);
      let value = '';
      if (html.charCodeAt(afterName) === 61 /* = */) {
        j = skipTagSpaces(html, afterName + 1);
        const q = html[j];
        if (q === '"' || q === "'") {
          const end = html.indexOf(q, j + 1);
          if (end < 0) return null;
          value = html.substring(j + 1, end);
          j = end + 1;
          // The standard wants a space, / or > after a quoted value.
          const c = html.charCodeAt(j);
          if (!(c === 62 || c === 47 || isTagSpace(c))) return null;
        } else {
          // [^\t\n\f >]+, and none of "'<=` (errors).
          const valueStart = j;
          for (; j < html.length; j++) {
            const c = html.charCodeAt(j);
            if (c === 62 || isTagSpace(c)) break;
            if (c === 34 || c === 39 || c === 60 || c === 61 || c === 96) return null;
          }
          if (j === valueStart) return null;
          value = html.substring(valueStart, j);
        }
        if (value.includes('&')) value = decodeHTMLAttribute(value);
      }
      // A repeated attribute: the first one counts.
      if (attrs === NO_ATTRS) attrs = [{ name, value }];
      else if (!attrs.some((a) => a.name === name)) attrs.push({ name, value });
    }
    i = j + 1;
    const isVoidTag = info.isVoid;
    if (selfClosing && !isVoidTag) return null;
    if (openP > 0 && info.closesP) return null;
    const cur = stack[stack.length - 1]!;
    if (info.heading && isHeading(cur.tag)) return null;
    if (tag === 'li') {
      for (let k = stack.length - 1; k > 0; k--) {
        const t = stack[k]!.tag;
        if (t === 'li') return null;
        if (LI_STOP.has(t)) break;
      }
    }
    if (tag === 'a' && openA > 0) return null;
    const el = new MdNode(ELEMENT, info.name, '', attrs);
    el.ns = HTML_NS;
    el.tag = tag;
    appendChild(cur, el);
    if (isVoidTag) continue;
    stack.push(el);
    if (tag === 'p') openP++;
    else if (tag === 'a') openA++;
    else if (tag === 'pre') {
      // A newline right after <pre> is not part of its text.
      if (html[i] === '\n') i++;
      else if (html[i] === '&') return null;
    }
  }
  return root;
}

/** Whether the HTML is parsed without parse5 (for the tests). */
export function isSimpleHtml(html: string): boolean {
  return parseSimple(html) !== null;
}

/**
 * turndown's `turndown(html)`: HTML → Markdown (untrimmed at the ends only of tabs and newlines).
 * `parser: 'parse5'` skips the simple parser (for the tests that hold the two to each other).
 */
export function turndownHtml(html: string, parser: 'auto' | 'parse5' = 'auto'): string {
  if (html === '') return '';
  const root = (parser === 'auto' ? parseSimple(html) : null) ?? findRoot((parse5 ??= load('parse5') as typeof import('parse5')).parse<MdTypes>(`<x-turndown id="turndown-root">${html}</x-turndown>`, { treeAdapter: adapter, scriptingEnabled: false }));
  // A <frameset> before any content replaces the body, and what was in it (turndown fails here on null).
  if (!root) throw new Error('the HTML is a frameset document (<frameset> before any content), which has no body to convert to Markdown');
  collapseWhitespace(root);
  const output = process(root);
  join(output, '');
  // turndown's .replace(/^[\t\r\n]+/, '').replace(/[\t\r\n\s]+$/, ''), without the regexp's
  // quadratic search for the end of a text with many runs of spaces.
  const out = joined(output);
  let i = 0;
  while (i < out.length && (out.charCodeAt(i) === 9 || out.charCodeAt(i) === 10 || out.charCodeAt(i) === 13)) i++;
  return out.substring(i).trimEnd();
}
