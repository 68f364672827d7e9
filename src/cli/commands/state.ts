import { PmError } from '../../core/errors.js';
import { openExistingState } from '../../state/open.js';
import type { ResourceRow, StateStore } from '../../state/types.js';
import { formatRecordedError } from '../../ui/format.js';
import type { Io } from '../io.js';
import type { GlobalFlags } from '../options.js';
import { loadFromArgs } from '../session.js';

async function withState<T>(io: Io, file: string | undefined, fn: (s: StateStore) => T | Promise<T>): Promise<T> {
  const s = await openExistingState(await loadFromArgs(io, file));
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

export interface StateListFlags extends GlobalFlags {
  status?: string;
  kind?: string;
}

/** `state list [PATTERN]`: one line per recorded address: address, status (and result), target id. */
export function stateListCommand(io: Io, pattern: string | undefined, opts: StateListFlags): Promise<number> {
  if (opts.status && !['applied', 'failed'].includes(opts.status)) throw new PmError('cli.bad-flag', '--status must be applied or failed');
  if (opts.kind && !['customer', 'thread', 'message'].includes(opts.kind)) throw new PmError('cli.bad-flag', '--kind must be customer, thread or message');
  return withState(io, opts.file, async (s) => {
    for await (const r of s.list(pattern ?? '*')) {
      if (opts.status && r.status !== opts.status) continue;
      if (opts.kind && r.kind !== opts.kind) continue;
      io.out.write(`${r.address}\t${r.status}${r.result ? ` ${r.result}` : ''}\t${r.targetId ?? '-'}\n`);
    }
    return 0;
  });
}

function showRow(r: ResourceRow): string {
  const lines = [`${r.address}`, `  kind: ${r.kind}`, `  status: ${r.status}${r.result ? ` (${r.result})` : ''}`, `  id: ${r.targetId ?? '-'}`];
  if (r.parent) lines.push(`  thread: ${r.parent}`);
  lines.push(`  input hash: ${r.inputHash ?? '-'}`);
  if (r.applied) lines.push(`  applied: ${JSON.stringify(r.applied)}`);
  lines.push(`  attempts: ${r.attempts}`, `  first recorded: ${r.createdAt}`, `  updated: ${r.updatedAt}`);
  if (r.lastError) lines.push(`  last error: ${formatRecordedError(r.lastError)}`);
  return lines.join('\n') + '\n';
}

/** `state show ADDRESS`: recorded ids, hashes, applied attributes, attempts, last error. */
export function stateShowCommand(io: Io, pattern: string, opts: GlobalFlags): Promise<number> {
  return withState(io, opts.file, async (s) => {
    let n = 0;
    for await (const r of s.list(pattern)) {
      n++;
      io.out.write(showRow(r));
    }
    for (const inv of await s.invalidRecords(pattern)) {
      n++;
      io.out.write(`${inv.address}\n  invalid (${inv.where}), reported ${inv.updatedAt}\n${inv.reasons.map((x) => `  - ${x}\n`).join('')}`);
    }
    if (n === 0) {
      io.err.write(`No recorded resource matches ${pattern}.\n`);
      return 1;
    }
    return 0;
  });
}

/** `state rm ADDRESS…`: forget addresses (a thread takes its messages along); the target is not changed. */
export function stateRmCommand(io: Io, patterns: string[], opts: GlobalFlags): Promise<number> {
  return withState(io, opts.file, async (s) => {
    let total = 0;
    // Not while an apply is writing: the same lock.
    const lock = await s.acquireLock('state rm');
    try {
      for (const p of patterns) {
        const n = await s.remove(p);
        total += n;
        if (n === 0) io.err.write(`Nothing recorded matches ${p}.\n`);
      }
    } finally {
      await s.releaseLock(lock.runId, 'removed', { removed: total });
    }
    io.out.write(`Removed ${total} recorded resource(s); the target was not changed. The next apply imports them again if they are still in the source.\n`);
    return total > 0 ? 0 : 1;
  });
}

export interface StateErrorsFlags extends GlobalFlags {
  json?: boolean;
}

/** `state errors`: every failed resource with its last error, and every invalid record with its reasons. */
export function stateErrorsCommand(io: Io, pattern: string | undefined, opts: StateErrorsFlags): Promise<number> {
  return withState(io, opts.file, async (s) => {
    const failed = await s.failures(pattern ?? '*');
    const invalid = await s.invalidRecords(pattern ?? '*');
    if (opts.json || opts.output === 'json') {
      io.out.write(
        `${JSON.stringify({
          format_version: 1,
          failed: failed.map((r) => ({ address: r.address, kind: r.kind, status: r.status, attempts: r.attempts, updatedAt: r.updatedAt, error: r.lastError })),
          invalid: invalid.map((r) => ({ address: r.address, where: r.where, reasons: r.reasons, updatedAt: r.updatedAt })),
        })}\n`,
      );
    } else {
      for (const r of failed) io.out.write(`FAILED ${r.address} (${r.attempts} attempts): ${r.lastError ? formatRecordedError(r.lastError) : 'unknown error'}\n`);
      for (const r of invalid) {
        io.out.write(`INVALID ${r.address}${r.where !== r.address ? ` (${r.where})` : ''}\n${r.reasons.map((x) => `  - ${x}\n`).join('')}`);
      }
      io.out.write(`${failed.length} failed, ${invalid.length} invalid.\n`);
    }
    return failed.length + invalid.length > 0 ? 1 : 0;
  });
}

/** `force-unlock LOCK_ID`: remove the apply lock of a run that cannot release it. */
export function forceUnlockCommand(io: Io, lockId: string, opts: GlobalFlags): Promise<number> {
  const id = Number(lockId);
  if (!Number.isInteger(id) || id < 1) throw new PmError('cli.bad-flag', `LOCK_ID must be the number the lock error names, not ${JSON.stringify(lockId)}`);
  return withState(io, opts.file, async (s) => {
    const { holder: held, did } = await s.forceUnlock(id);
    io.out.write(`Lock ${id} ('${held.command}', ${held.who ? `${held.who}, ` : ''}pid ${held.pid} on ${held.host}, since ${held.startedAt}): ${did}.\n`);
    return 0;
  });
}
