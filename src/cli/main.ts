/**
 * The command line: parses arguments (commander), wires the pieces, picks a renderer. Returns the
 * exit code: 0 done, 1 error or failed records, 2 usage error (or changes, with plan
 * --detailed-exitcode), 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
import { applyCommand, interruptSignals } from './commands/apply.js';
import { demoCommand } from './commands/demo.js';
import { emulatorCommand } from './commands/emulator.js';
import { planCommand } from './commands/plan.js';
import { stateListCommand, stateRmCommand, stateShowCommand, stateUnlockCommand } from './commands/state.js';
import { validateCommand } from './commands/validate.js';
import { processIo, reportError, type Io } from './io.js';

const fileOption = () => new Option('-f, --file <path>', 'the manifest (default: plain-migrate.yaml in the current directory)');

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const run = (fn: () => Promise<number>) => async () => {
    code = await fn();
  };
  const program = new Command('plain-migrate')
    .description('Move support history into Plain from a manifest kept in git: validate, plan, apply.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out.write(s), writeErr: (s) => io.err.write(s) })
    .showSuggestionAfterError(true);

  program
    .command('validate')
    .description('Check the manifest: YAML, schema, environment variables and every expression.')
    .addOption(fileOption())
    .action((o: { file?: string }) => run(() => validateCommand(io, o))());

  program
    .command('plan')
    .description('Show what apply would do against the recorded state. Sends nothing, writes nothing.')
    .addOption(fileOption())
    .option('--strict', 'fail (exit 1) when any record is invalid')
    .option('--detailed-exitcode', 'exit 2 when there are changes to apply, 0 when there are none')
    .option('--refresh', 'read the recorded threads from Plain first: report edits made there (conflicts) and threads deleted there')
    .option('--overwrite-conflicts', 'plan to replace attributes that were also changed in Plain since the last apply')
    .action((o: { file?: string; strict?: boolean; detailedExitcode?: boolean; refresh?: boolean; overwriteConflicts?: boolean }) =>
      run(() => planCommand(io, o))(),
    );

  program
    .command('apply')
    .description('Import what the plan shows, recording each acknowledged result; safe to stop and run again.')
    .addOption(fileOption())
    .option('--auto-approve', 'do not ask for confirmation (required when standard input is not a terminal)')
    .option('--strict', 'refuse to start when any record is invalid')
    .option('--refresh', 'read the recorded threads from Plain before planning (see plan --refresh)')
    .option('--overwrite-conflicts', 'replace attributes that were also changed in Plain since the last apply')
    .action((o: { file?: string; autoApprove?: boolean; strict?: boolean; refresh?: boolean; overwriteConflicts?: boolean }) =>
      run(async () => {
        const signals = interruptSignals(io);
        try {
          const c = await applyCommand(io, o, signals);
          return signals.interrupted() ? 130 : c;
        } finally {
          signals.dispose();
        }
      })(),
    );

  program
    .command('emulator')
    .description('Run the Plain emulator on loopback for rehearsals and tests.')
    .option('--port <n>', 'port to listen on (0: any free port)', '4849')
    .option('--host <addr>', 'loopback address to listen on', '127.0.0.1')
    .option('--seed <file>', 'users, label types, tenants, customers and API keys to start with (JSON or YAML)')
    .option('--rate-limit <perMinute>', 'requests per minute before HTTP 429 (0: unlimited)', '0')
    .option('--latency <ms>', 'delay before each answer', '0')
    .action((o: { port?: string; host?: string; seed?: string; rateLimit?: string; latency?: string }) => run(() => emulatorCommand(io, o))());

  program
    .command('demo')
    .description('Plan and apply examples/quickstart into an embedded emulator.')
    .option('--reset', 'forget the demo’s recorded state first')
    .action((o: { reset?: boolean }) =>
      run(async () => {
        const signals = interruptSignals(io);
        try {
          return await demoCommand(io, o, signals);
        } finally {
          signals.dispose();
        }
      })(),
    );

  const state = program.command('state').description('Inspect and edit the recorded state.');
  state
    .command('list [pattern]')
    .description('List recorded addresses (wildcard *), with status and Plain id.')
    .addOption(fileOption())
    .action((pattern: string | undefined, o: { file?: string }) => run(() => stateListCommand(io, pattern, o))());
  state
    .command('show <address>')
    .description('Show recorded resources matching an address (wildcard *), with their last error.')
    .addOption(fileOption())
    .action((address: string, o: { file?: string }) => run(() => stateShowCommand(io, address, o))());
  state
    .command('rm <address>')
    .description('Forget recorded resources (wildcard *) so the next apply imports them again; Plain is not changed.')
    .addOption(fileOption())
    .action((address: string, o: { file?: string }) => run(() => stateRmCommand(io, address, o))());
  state
    .command('unlock')
    .description('Remove the apply lock left by a run that cannot release it (e.g. on another machine).')
    .addOption(fileOption())
    .action((o: { file?: string }) => run(() => stateUnlockCommand(io, o))());

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(io, e);
  }
}
