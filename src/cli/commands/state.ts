import { existsSync } from 'node:fs';
import { PmError } from '../../core/errors.js';
import { SqliteStateStore } from '../../state/sqlite.js';
import { formatRecordedError } from '../../ui/format.js';
import type { Io } from '../io.js';
import { loadFromArgs } from '../session.js';

async function open(io: Io, file: string | undefined): Promise<SqliteStateStore> {
  const m = await loadFromArgs(io, file);
  if (!existsSync(m.statePath)) {
    throw new PmError('state.missing', `there is no state at ${m.statePath} yet`, { hint: 'run plain-migrate apply first' });
  }
  return SqliteStateStore.open(m.statePath, { manifestName: m.name, create: false });
}

export async function stateListCommand(io: Io, pattern: string | undefined, opts: { file?: string }): Promise<number> {
  const s = await open(io, opts.file);
  try {
    for (const r of s.list(pattern ?? '*')) {
      io.out.write(`${r.address}\t${r.status}${r.result ? ` ${r.result}` : ''}\t${r.targetId ?? '-'}\n`);
    }
    return 0;
  } finally {
    s.close();
  }
}

export async function stateShowCommand(io: Io, pattern: string, opts: { file?: string }): Promise<number> {
  const s = await open(io, opts.file);
  try {
    let n = 0;
    for (const r of s.list(pattern)) {
      n++;
      io.out.write(`${r.address}\n  kind: ${r.kind}\n  status: ${r.status}${r.result ? ` (${r.result})` : ''}\n  id: ${r.targetId ?? '-'}\n`);
      if (r.parent) io.out.write(`  thread: ${r.parent}\n`);
      io.out.write(`  attempts: ${r.attempts}\n  updated: ${r.updatedAt}\n`);
      if (r.lastError) io.out.write(`  last error: ${formatRecordedError(r.lastError)}\n`);
    }
    if (n === 0) {
      io.err.write(`No recorded resource matches ${pattern}.\n`);
      return 1;
    }
    return 0;
  } finally {
    s.close();
  }
}

export async function stateRmCommand(io: Io, pattern: string, opts: { file?: string }): Promise<number> {
  const s = await open(io, opts.file);
  try {
    const n = s.remove(pattern);
    io.out.write(`Removed ${n} recorded resource(s) matching ${pattern}; the target was not changed.\n`);
    return 0;
  } finally {
    s.close();
  }
}

export async function stateUnlockCommand(io: Io, opts: { file?: string }): Promise<number> {
  const s = await open(io, opts.file);
  try {
    const held = s.forceUnlock();
    io.out.write(held ? `Removed the lock held by pid ${held.pid} on ${held.host} since ${held.startedAt}.\n` : 'The state was not locked.\n');
    return 0;
  } finally {
    s.close();
  }
}
