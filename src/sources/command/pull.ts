/**
 * Pulling a command source: run its program, take the records of its stream from standard output, and
 * commit them in pages with the stream's state. jsonl: the state is the largest `cursor:` of a complete run.
 * singer/airbyte: the state is the program's own last STATE message, committed together with the records
 * before it (a checkpoint), and given back on the next run ({{state}}: a file holding it; {{cursor}}: its JSON).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PmError } from '../../core/errors.js';
import type { LiveSourceDecl } from '../../manifest/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';
import { DEFAULT_MAX_RECORD_BYTES, formatBytes } from '../limits.js';
import type { Line } from '../lines.js';
import type { PullJob } from '../live/types.js';
import { asCursor, cursorOf, cursorText, idOf, idRule, maxCursor, type CursorValue, type IdOf } from '../http-api/records.js';
import { BadLine, lineAction, nextState, stateForProgram, type Protocol } from './protocols.js';
import { childEnv, runLines, type RunResult } from './run.js';

/** Records committed together at most (a STATE message commits sooner). */
export const PAGE_RECORDS = 500;

/**
 * The stream's state as the snapshot keeps it (its `cursor`):
 * jsonl `{ cursor: <largest cursor: value of the last complete run> | null }`;
 * singer/airbyte `{ state: <the last STATE kept> | null }`.
 */
export type CommandStreamState = { readonly cursor: CursorValue | null } | { readonly state: unknown };

export function protocolOf(decl: LiveSourceDecl): Protocol {
  const p = decl.options['protocol'];
  return p === 'singer' || p === 'airbyte' ? p : 'jsonl';
}

export function commandOf(decl: LiveSourceDecl): string[] {
  const c = decl.options['command'];
  return Array.isArray(c) ? c.map(String) : [];
}

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

/** Placeholders an argument may hold for this protocol. */
export function allowedPlaceholders(protocol: Protocol): readonly string[] {
  return protocol === 'jsonl' ? ['cursor'] : ['cursor', 'state'];
}

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

function substitute(arg: string, values: Readonly<Record<string, string>>): string {
  return arg.replace(PLACEHOLDER, (all, name: string) => values[name] ?? all);
}

/** Line N failed: why. */
class LineFailure extends Error {
  constructor(
    readonly line: number,
    readonly why: string,
  ) {
    super(`line ${line} ${why}`);
  }
}

/** Hides the values of the source's env: in text the program wrote (a token echoed in an error). */
function redactor(env: Readonly<Record<string, string>>): (s: string) => string {
  const secrets = Object.values(env)
    .filter((v) => v.length >= 6)
    .sort((a, b) => b.length - a.length);
  return (s) => secrets.reduce((t, v) => t.split(v).join('***'), s);
}

export async function pullCommand(job: PullJob, decl: LiveSourceDecl): Promise<void> {
  const stream = decl.snapshotStream;
  const protocol = protocolOf(decl);
  const [programWritten, ...argsWritten] = commandOf(decl);
  if (programWritten === undefined) {
    throw new PmError('pull.command-failed', `source "${decl.name}": command is empty`, { location: decl.location, path: `sources.${decl.name}.command` });
  }
  const program = path.basename(programWritten);
  const hide = redactor(decl.env);
  const stored = (await job.snapshot.stream(stream))?.cursor;
  const storedObj = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};

  // jsonl: the cursor; singer/airbyte: the state, kept as the last STATE commits it.
  const prevCursor = asCursor(storedObj['cursor']);
  let kept: unknown = storedObj['state'] ?? null;
  let maxSeen: CursorValue | null = null;
  const hadState = kept !== null;
  const forProgram = protocol === 'jsonl' ? undefined : stateForProgram(protocol, kept);

  let tmpDir: string | undefined;
  const values: Record<string, string> = {
    cursor: protocol === 'jsonl' ? cursorText(prevCursor) : hadState ? JSON.stringify(forProgram) : '',
  };
  if (protocol !== 'jsonl' && argsWritten.some((a) => placeholdersIn(a).includes('state'))) {
    tmpDir = await mkdtemp(path.join(tmpdir(), 'plain-migrate-state-'));
    const file = path.join(tmpDir, 'state.json');
    await writeFile(file, JSON.stringify(forProgram), { mode: 0o600 });
    values['state'] = file;
  }

  let id: IdOf = idOf(decl);
  const idWritten = decl.exprs['id'] !== undefined || decl.key !== undefined;
  let batch: SnapshotRecordInput[] = [];
  let traceError: string | undefined;

  const checkpoint = (final: boolean): CommandStreamState =>
    protocol === 'jsonl' ? { cursor: final ? maxCursor(prevCursor, maxSeen) : prevCursor } : { state: kept };
  const commit = async (final: boolean): Promise<void> => {
    const r = await job.snapshot.commit(stream, batch, checkpoint(final), final ? { complete: true } : {});
    if (batch.length > 0 || final) job.emit({ type: 'page', stream, records: batch.length, added: r.added, updated: r.updated });
    batch = [];
  };

  const onLine = async (line: Line): Promise<void> => {
    if (line.kind === 'too-long') throw new LineFailure(line.line, `is longer than ${formatBytes(DEFAULT_MAX_RECORD_BYTES)} (${formatBytes(line.size)})`);
    const text = line.bytes.toString('utf8');
    if (text.trim() === '') return;
    let action;
    try {
      action = lineAction(protocol, decl.stream, text);
    } catch (e) {
      if (e instanceof BadLine) throw new LineFailure(line.line, hide(e.message));
      throw e;
    }
    switch (action.kind) {
      case 'record': {
        const rid = await id(action.record);
        if (rid === undefined) {
          throw new PmError('pull.record-without-id', `source "${decl.name}": the record on line ${line.line} of ${program}'s output has no id (${idRule(decl)})`, {
            location: decl.location,
            path: `sources.${decl.name}`,
            hint: "set id: to a JSONata expression giving each record's unique id, e.g. id: ticket_id",
          });
        }
        if (protocol === 'jsonl') maxSeen = maxCursor(maxSeen, await cursorOf(decl, action.record, `line ${line.line}`));
        batch.push({ id: rid, deleted: false, json: JSON.stringify(action.record) });
        if (batch.length >= PAGE_RECORDS) await commit(false);
        return;
      }
      case 'state':
        kept = nextState(protocol, kept, action.state);
        await commit(false);
        return;
      case 'schema':
        if (!idWritten && action.keyProperties.length === 1) id = idOf(decl, action.keyProperties[0]);
        return;
      case 'error':
        traceError = hide(action.message);
        return;
      case 'skip':
        return;
    }
  };

  job.emit({ type: 'stream-start', stream });
  let result: RunResult;
  try {
    result = await runLines({
      program: programWritten,
      args: argsWritten.map((a) => substitute(a, values)),
      cwd: job.cwd,
      env: childEnv(job.env, decl.env),
      signal: job.signal,
      maxLineBytes: DEFAULT_MAX_RECORD_BYTES,
      onLine,
    });
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  }

  const stderr = result.stderr.map(hide);
  const fail = async (what: string): Promise<PmError> => {
    // The records read before the failure are real: they stay, with the last checkpoint's state.
    if (batch.length > 0) await commit(false);
    return new PmError('pull.command-failed', `source "${decl.name}": ${program} ${what}`, {
      location: decl.location,
      path: `sources.${decl.name}.command`,
      hint: stderr.length > 0 ? `its last lines on stderr:\n    ${stderr.join('\n    ')}` : `${program} wrote nothing on stderr`,
    });
  };

  if (result.lineError !== undefined) {
    const e = result.lineError;
    if (e instanceof LineFailure) throw await fail(`output line ${e.line} ${e.why}`);
    if (e instanceof PmError) {
      if (batch.length > 0 && e.code === 'pull.record-without-id') await commit(false);
      throw e;
    }
    throw await fail(`could not be read: ${e instanceof Error ? hide(e.message) : String(e)}`);
  }
  if (result.canceled || job.signal.aborted) {
    if (batch.length > 0) await commit(false);
    job.signal.throwIfAborted();
    throw new PmError('pull.command-failed', `source "${decl.name}": ${program} was stopped`, { location: decl.location });
  }
  if (result.spawnError !== undefined) {
    throw new PmError('pull.command-failed', `source "${decl.name}": ${program} could not be started (${result.spawnError})`, {
      location: decl.location,
      path: `sources.${decl.name}.command`,
      hint: `the program must be on PATH or a path relative to the manifest's directory (${job.cwd})`,
    });
  }
  const why = traceError !== undefined ? `: ${traceError}` : '';
  if (result.signal !== undefined) throw await fail(`was ended by ${result.signal}${why}`);
  if (result.exitCode !== 0) throw await fail(`exited with code ${result.exitCode ?? '?'}${why}`);
  if (traceError !== undefined) throw await fail(`reported an error: ${traceError}`);
  await commit(true);
  job.emit({ type: 'stream-done', stream });
}
