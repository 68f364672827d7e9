/** The comments `validate --sample` puts next to a value: `→` normalised, `✗` invalid, `ℹ` a note. */
import type { Node } from 'yaml';
import { oneLine } from './text.js';

/**
 * Comment pieces for one node, rendered as one line: `→ …`, then `✗ …`, then `ℹ …`. A value whose
 * expression failed shows no normalised value (it would only be the default), and "gave nothing" is
 * left out when a reason already says so.
 */
export class Comments {
  private readonly byNode = new Map<Node, { norm: string[]; bad: string[]; info: string[]; nothing: boolean; failed: boolean }>();
  private entry(n: Node) {
    let e = this.byNode.get(n);
    if (!e) {
      e = { norm: [], bad: [], info: [], nothing: false, failed: false };
      this.byNode.set(n, e);
    }
    return e;
  }
  norm(n: Node, s: string): void {
    this.entry(n).norm.push(`→ ${oneLine(s)}`);
  }
  bad(n: Node, reasons: readonly string[]): void {
    for (const r of reasons) this.entry(n).bad.push(`✗ ${oneLine(r)}`);
  }
  info(n: Node, notes: readonly string[]): void {
    for (const r of notes) this.entry(n).info.push(`ℹ ${oneLine(r)}`);
  }
  /** The expression gave nothing (undefined). */
  nothing(n: Node): void {
    this.entry(n).nothing = true;
  }
  /** The expression failed: its error is among `bad`. */
  failed(n: Node, error: string): void {
    this.entry(n).failed = true;
    this.bad(n, [error]);
  }
  apply(): void {
    for (const [n, e] of this.byNode) {
      const info = e.nothing && e.bad.length === 0 ? ['ℹ the expression gave nothing', ...e.info] : e.info;
      const parts = [...(e.failed ? [] : e.norm), ...e.bad, ...info];
      if (parts.length > 0) n.comment = ` ${parts.join(' · ')}`;
    }
  }
}
