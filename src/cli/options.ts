/** Flags shared by several commands, and their parsing. */
import { availableParallelism } from 'node:os';
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
  /** Threads that map records. */
  workers?: string;
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

/** Most threads a plan maps records on by default: beyond that, reading the source is what limits it. */
export const MAX_DEFAULT_WORKERS = 8;

/** --workers N, or one per core (at most MAX_DEFAULT_WORKERS); 1 maps every record in the main thread. */
export function workerCount(v: string | undefined): number {
  return positiveInt('workers', v) ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS);
}

export const OUTPUT_MODES: readonly OutputMode[] = ['auto', 'tty', 'plain', 'json'];

export function outputMode(v: string | undefined): OutputMode {
  const m = (v ?? 'auto') as OutputMode;
  if (!OUTPUT_MODES.includes(m)) throw new PmError('cli.bad-flag', `--output must be one of ${OUTPUT_MODES.join(', ')}, not ${JSON.stringify(v)}`);
  return m;
}
