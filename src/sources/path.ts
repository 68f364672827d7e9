/** Simple dotted JSONata paths (`id`, `author.id`, `data.items`, data.`my items`): parsed without JSONata. */

const SEGMENT = /^(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)/;
/** Words JSONata reads as literals or operators, never as field names, when written bare. */
const RESERVED = new Set(['true', 'false', 'null', 'and', 'or', 'in']);

/** The field names of a dotted path, or undefined when the text is anything more than that. */
export function parseDottedPath(text: string): string[] | undefined {
  const segs: string[] = [];
  let rest = text.trim();
  for (;;) {
    const m = SEGMENT.exec(rest);
    if (!m) return undefined;
    const seg = m[0];
    if (seg.startsWith('`')) segs.push(seg.slice(1, -1));
    else if (RESERVED.has(seg)) return undefined;
    else segs.push(seg);
    rest = rest.slice(seg.length).trimStart();
    if (rest === '') return segs;
    if (!rest.startsWith('.')) return undefined;
    rest = rest.slice(1).trimStart();
  }
}
