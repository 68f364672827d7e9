/** Flags shared by several commands, and their parsing. */
import { PmError } from '../core/errors.js';
import type { OutputMode } from '../ui/renderer.js';

export interface GlobalFlags {
  file?: string;
  color?: boolean;
  output?: OutputMode;
}

export interface PlanningFlags {
  target?: string[];
  limit?: string;
  refresh?: boolean;
  overwriteConflicts?: boolean;
  strict?: boolean;
  keepGoing?: boolean;
  /** Do not pull live sources first. */
  offline?: boolean;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new PmError('cli.bad-flag', `--${name} must be a whole number ≥ 1, not ${JSON.stringify(v)}`);
  return n;
}

export const OUTPUT_MODES: readonly OutputMode[] = ['auto', 'tty', 'plain', 'json'];

export function outputMode(v: string | undefined): OutputMode {
  const m = (v ?? 'auto') as OutputMode;
  if (!OUTPUT_MODES.includes(m)) throw new PmError('cli.bad-flag', `--output must be one of ${OUTPUT_MODES.join(', ')}, not ${JSON.stringify(v)}`);
  return m;
}
