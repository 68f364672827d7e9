/** The few HTML escapes the engine needs, in one place. */

/** Text between tags: & < > escaped. */
export function escapeHtmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A double-quoted attribute value: & < > " escaped. */
export function escapeHtmlAttribute(s: string): string {
  return escapeHtmlText(s).replace(/"/g, '&quot;');
}

/** Numeric references and &amp; &lt; &gt; &quot; &apos; decoded (what an attribute value means). */
export function decodeHtmlEntities(s: string): string {
  return s.replace(/&(?:#(\d+)|#[xX]([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (all, dec?: string, hex?: string, named?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[named as string] ?? all;
  });
}
