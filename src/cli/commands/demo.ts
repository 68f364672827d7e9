/**
 * `plain-migrate demo`: plan and apply examples/quickstart into an embedded Plain emulator, then
 * print what the emulator holds. Its state lives in examples/quickstart/.plain-migrate/, so running
 * the demo again shows that there is nothing left to do; `--reset` starts over.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadPlainSeed, startPlainEmulator } from '../../emulators/plain/index.js';
import type { Io } from '../io.js';
import type { GlobalFlags } from '../options.js';
import { applyCommand, type ApplySignals } from './apply.js';
import { planCommand } from './plan.js';

export const QUICKSTART_DIR = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));

export async function demoCommand(io: Io, opts: GlobalFlags & { reset?: boolean }, signals: ApplySignals): Promise<number> {
  const manifestFile = join(QUICKSTART_DIR, 'plain-migrate.yaml');
  if (opts.reset) rmSync(join(QUICKSTART_DIR, '.plain-migrate'), { recursive: true, force: true });
  const seed = await loadPlainSeed(join(QUICKSTART_DIR, 'emulator-seed.yaml'));
  const emulator = await startPlainEmulator({ seed });
  const env = { ...io.env, PLAIN_ENDPOINT: emulator.graphqlUrl, PLAIN_API_KEY: 'demo-key' };
  const sub: Io = { ...io, env };
  try {
    io.out.write(`Embedded Plain emulator at ${emulator.graphqlUrl}\n\n$ plain-migrate plan -f examples/quickstart/plain-migrate.yaml\n`);
    const planCode = await planCommand(sub, { ...opts, file: manifestFile });
    if (planCode !== 0) return planCode;
    io.out.write(`\n$ plain-migrate apply -f examples/quickstart/plain-migrate.yaml --auto-approve\n`);
    const code = await applyCommand(sub, undefined, { ...opts, file: manifestFile, autoApprove: true }, signals);
    const snap = emulator.snapshot();
    const requests = emulator.requests();
    // The plan still reads label types by name from the (new) emulator; nothing is written.
    if (!requests.some((r) => /^\s*mutation\b/.test(r.query ?? ''))) {
      io.out.write(
        `\nNothing to do: the state in examples/quickstart/.plain-migrate/ records every valid thread as imported, so nothing was sent.\n` +
          `Start over with 'npm run demo -- --reset'.\n`,
      );
      return code;
    }
    const messages = snap.threads.reduce((n, t) => n + t.messages.length, 0);
    const byOp: Record<string, number> = {};
    for (const r of requests) byOp[r.operationName ?? '?'] = (byOp[r.operationName ?? '?'] ?? 0) + 1;
    io.out.write(
      `\nThe emulator now holds ${snap.customers.length} customers, ${snap.threads.length} threads and ${messages} messages ` +
        `(requests received: ${Object.entries(byOp).map(([k, v]) => `${k} ${v}`).join(', ')}).\n`,
    );
    const sample = snap.threads[0];
    if (sample) {
      io.out.write(
        `For example ${sample.externalId}: "${sample.title}", ${sample.status}/${sample.statusDetail}, priority ${sample.priority}, ${sample.messages.length} messages.\n`,
      );
    }
    io.out.write(`\nRun 'npm run demo' again: the recorded state says everything is imported, so nothing is sent.\n`);
    return code;
  } finally {
    await emulator.close();
  }
}
