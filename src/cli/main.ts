/**
 * The command line: parses arguments (commander), wires the pieces, picks a renderer. Returns the
 * exit code: 0 done / nothing to do, 1 error or failed records, 2 usage error or (plan
 * --detailed-exitcode) changes to apply, 130 interrupted.
 */
import { Command, CommanderError, Option } from 'commander';
// Each command's module is loaded by its action only: a command would otherwise load every other
// command's code too (the emulators' GraphQL schema and HTML libraries, init's templates, validate's
// sampler, the state commands): about 20 of the 169 of our modules a plan loaded.
import type { ApplyFlags } from './commands/apply.js';
import type { EmulatorFlags } from './commands/emulator.js';
import { EMULATOR_KINDS } from './commands/emulator-kinds.js';
import type { InitFlags } from './commands/init.js';
import type { PlanFlags } from './commands/plan.js';
import type { PullFlags } from './commands/pull.js';
import type { StateErrorsFlags, StateListFlags } from './commands/state.js';
import type { StateMigrateFlags } from './commands/state-migrate.js';
import type { ValidateFlags } from './commands/validate.js';
import { isPmError } from '../core/errors.js';
import { processIo, reportError, type Io } from './io.js';
import { collect, OUTPUT_MODES, type GlobalFlags } from './options.js';

const examples = (lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;

function planningOptions(c: Command): Command {
  return c
    .option('--target <address>', 'only this address (wildcards *; repeatable), e.g. thread["zd-1*"]', collect)
    .option('--limit <n>', 'only the first N threads of the source (a trial migration)')
    .option('--refresh', 'read the recorded threads from the target first: report edits made there (conflicts) and threads deleted there')
    .option('--overwrite-conflicts', 'replace attributes that were also changed in the target since the last apply')
    .option('--strict', 'fail (exit 1) when any record is invalid, or an assignee is not a user of the target (its threads would be imported unassigned)')
    .option('--keep-going', 'evaluate every record even when an expression fails the same way on the first ones (by default the plan stops there: the mapping is wrong)')
    .option('--offline', 'do not pull live sources first: plan on the snapshot as the last pull left it')
    .option('--workers <n>', 'threads that map records (JSONata, HTML conversion); default: one per core, at most 8; 1 maps them all in the main thread');
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  let code = 0;
  const act =
    <A extends unknown[]>(fn: (...a: A) => Promise<number> | number) =>
    async (...a: A) => {
      code = await fn(...a);
    };
  const globals = (cmd: Command): GlobalFlags => cmd.optsWithGlobals() as GlobalFlags;

  const program = new Command('plain-migrate')
    .description('Move support history into Plain or There There from a manifest kept in git: validate, plan, apply.')
    .version('0.1.0')
    .option('-f, --file <path>', 'the manifest (default: plain-migrate.yaml in the current directory)')
    .option('--no-color', 'no colours in any output')
    .addOption(new Option('--output <mode>', 'how apply and pull report: auto (live view on a terminal, lines otherwise), tty, plain, json').choices([...OUTPUT_MODES]).default('auto'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.out.write(s), writeErr: (s) => void io.err.write(s) })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', examples(['plain-migrate init --from zendesk', 'plain-migrate validate --sample 3', 'plain-migrate plan --out plan.json', 'plain-migrate apply plan.json']));

  program
    .command('init')
    .description('Write a commented starter manifest for your helpdesk’s export, into Plain or There There.')
    .option('--from <helpdesk>', 'zendesk, freshdesk, helpscout, intercom, front, helpspot or csv', 'zendesk')
    .option('--target <target>', 'where the threads go: plain, or therethere (tickets into a There There channel)', 'plain')
    .option('--force', 'overwrite an existing manifest')
    .option('--api', 'pull straight from the helpdesk\'s API (a connection) instead of reading export files (zendesk, freshdesk, helpscout, intercom, front, helpspot)')
    .addHelpText(
      'after',
      examples([
        'plain-migrate init --from freshdesk',
        'plain-migrate init --from zendesk --target therethere',
        'plain-migrate init --from zendesk --api',
        'plain-migrate -f migrations/acme.yaml init --from csv',
      ]),
    )
    .action(function (this: Command) {
      return act(async () => (await import('./commands/init.js')).initCommand(io, globals(this) as InitFlags))();
    });

  program
    .command('validate')
    .description('Check the manifest (YAML, schema, ${VAR}s, expressions); --sample shows what records map to.')
    .option('--sample <n>', 'print what the first N source records map to, with every diagnostic next to its field')
    .addHelpText('after', examples(['plain-migrate validate', 'plain-migrate validate --sample 5']))
    .action(function (this: Command) {
      return act(async () => (await import('./commands/validate.js')).validateCommand(io, globals(this) as ValidateFlags))();
    });

  program
    .command('pull')
    .description('Bring the snapshot of the live sources (connections:, command:) up to date: only what changed since the last pull.')
    .addHelpText(
      'after',
      examples(['plain-migrate pull', 'plain-migrate pull --output json > pull.ndjson']) +
        '\nEach page is committed with its cursor: a pull stopped anywhere resumes there, and never makes a record look gone.\nplan and apply pull first (unless --offline); apply PLANFILE never pulls.\n',
    )
    .action(function (this: Command) {
      return act(async () => {
        const { interruptOnce, pullCommand } = await import('./commands/pull.js');
        const interrupt = interruptOnce(io);
        try {
          return await pullCommand(io, globals(this) as PullFlags, interrupt.signal);
        } catch (e) {
          if (interrupt.signal.aborted) {
            reportError(io, e);
            return 130;
          }
          throw e;
        } finally {
          interrupt.dispose();
        }
      })();
    });
  planningOptions(
    program
      .command('plan')
      .description('Show what apply would do against the recorded state. Sends nothing to the target unless --refresh; live sources are pulled first unless --offline.'),
  )
    .option('--out <file>', 'save the plan (0600) so that `apply FILE` carries out exactly it, or refuses if anything changed')
    .option('--json', 'print the plan as JSON (docs/json-output.md)')
    .addOption(new Option('--format <format>', 'text (default), or markdown: a summary table and the first changes of each kind, short enough for a pull-request comment (docs/team-workflow.md)').choices(['text', 'markdown']))
    .option('--verbose', 'list every item, not the first 20 of each group')
    .option('--detailed-exitcode', 'exit 2 when there are changes to apply, 0 when there are none, 1 on error')
    .addHelpText(
      'after',
      examples(['plain-migrate plan', 'plain-migrate plan --out plan.json', 'plain-migrate plan --format markdown --out plan.json > plan.md', 'plain-migrate plan --refresh', "plain-migrate plan --target 'thread[\"zd-12*\"]' --verbose", 'plain-migrate plan --limit 100 --detailed-exitcode']),
    )
    .action(function (this: Command) {
      return act(async () => (await import('./commands/plan.js')).planCommand(io, globals(this) as PlanFlags))();
    });

  planningOptions(
    program
      .command('apply [planfile]')
      .description('Import what the plan shows, recording each acknowledged result; safe to stop and run again.'),
  )
    .option('--auto-approve', 'do not ask for confirmation (required when standard input is not a terminal, unless applying a saved plan)')
    .option('--verbose', 'list every item of the plan shown before asking')
    .addHelpText('after', examples(['plain-migrate apply', 'plain-migrate apply plan.json', 'plain-migrate apply --auto-approve --output plain', 'plain-migrate apply --auto-approve --output json > events.ndjson']))
    .action(function (this: Command, planfile: string | undefined) {
      return act(async () => {
        const { applyCommand, interruptSignals } = await import('./commands/apply.js');
        const signals = interruptSignals(io);
        try {
          const c = await applyCommand(io, planfile, globals(this) as ApplyFlags, signals);
          return signals.interrupted() ? 130 : c;
        } finally {
          signals.dispose();
        }
      })();
    });

  const state = program.command('state').description('Inspect and edit the recorded state.');
  state
    .command('list [pattern]')
    .description('List recorded addresses (wildcards *) with status and the target\'s id.')
    .option('--status <status>', 'applied or failed')
    .option('--kind <kind>', 'customer, thread or message')
    .addHelpText('after', examples(["plain-migrate state list 'thread[*]'", 'plain-migrate state list --status failed']))
    .action(function (this: Command, pattern: string | undefined) {
      return act(async () => (await import('./commands/state.js')).stateListCommand(io, pattern, globals(this) as StateListFlags))();
    });
  state
    .command('show <address>')
    .description('Show what is recorded for an address (wildcards *): ids, hashes, applied attributes, attempts, last error.')
    .addHelpText('after', examples(['plain-migrate state show \'thread["zd-12"]\'', "plain-migrate state show 'message[\"zd-12/*\"]'"]))
    .action(function (this: Command, address: string) {
      return act(async () => (await import('./commands/state.js')).stateShowCommand(io, address, globals(this)))();
    });
  state
    .command('rm <address...>')
    .description('Forget recorded addresses (wildcards *; a thread takes its messages along) so the next apply imports them again; the target is not changed.')
    .addHelpText('after', examples(['plain-migrate state rm \'thread["zd-13"]\'']))
    .action(function (this: Command, addresses: string[]) {
      return act(async () => (await import('./commands/state.js')).stateRmCommand(io, addresses, globals(this)))();
    });
  state
    .command('errors [pattern]')
    .description('Every failed address with the target’s error, and every invalid record with its reasons (exit 1 when there are any).')
    .option('--json', 'as JSON (docs/json-output.md)')
    .addHelpText('after', examples(['plain-migrate state errors', 'plain-migrate state errors --json | jq .failed']))
    .action(function (this: Command, pattern: string | undefined) {
      return act(async () => (await import('./commands/state.js')).stateErrorsCommand(io, pattern, globals(this) as StateErrorsFlags))();
    });
  state
    .command('migrate')
    .description(
      'Copy a state (a SQLite file, or another PostgreSQL state of this migration) into the backend the manifest declares: every resource, run, invalid record and pulled record, with lineage and serial. Refused when the destination holds another lineage.',
    )
    .requiredOption('--from <path|url>', 'the state to copy: a SQLite file, or postgres://… (whose password is never printed)')
    .option('--from-schema <schema>', 'with a postgres:// --from: the schema it is in', 'plain_migrate')
    .addHelpText('after', examples(['plain-migrate state migrate --from .plain-migrate/state.db', 'plain-migrate state migrate --from "$OLD_DATABASE_URL" --from-schema migrations']))
    .action(function (this: Command) {
      return act(async () => (await import('./commands/state-migrate.js')).stateMigrateCommand(io, globals(this) as StateMigrateFlags))();
    });

  program
    .command('force-unlock <lockId>')
    .description('Remove the apply lock of a run that is gone (the lock error names its LOCK_ID).')
    .addHelpText('after', examples(['plain-migrate force-unlock 12']))
    .action(function (this: Command, lockId: string) {
      return act(async () => (await import('./commands/state.js')).forceUnlockCommand(io, lockId, globals(this)))();
    });

  program
    .command('emulator')
    .description('Run an emulator on loopback for rehearsals and tests: Plain or There There (the targets), or one of the six helpdesks (the sources).')
    .addOption(
      new Option(
        '--kind <kind>',
        'which API to emulate: plain (GraphQL, /graphql/v1) or therethere (REST, /api), the targets; or a source: zendesk (REST, /api/v2, port 4851), freshdesk (REST, /api/v2, port 4852), helpscout (Mailbox API 2.0, /v2, port 4853), intercom (REST API 2.x, port 4854), front (Core API, port 4855) or helpspot (Web Service API, /api/index.php, port 4856)',
      )
        .choices([...EMULATOR_KINDS])
        .default('plain'),
    )
    .option('--port <n>', 'port to listen on (0: any free port); default 4849, a source its own (4851 to 4856)')
    .option('--host <addr>', 'loopback address to listen on', '127.0.0.1')
    .option(
      '--seed <file>',
      'the workspace to start with: plain (JSON or YAML): users, label types, tenants, customers, API keys; therethere (JSON or YAML): members, channels, tags, tokens; a source: a directory of its records as .jsonl in its own shapes (each examples/<kind>-api/ has one; zendesk: tickets.jsonl, users.jsonl, comments.jsonl …)',
    )
    .option(
      '--rate-limit <perMinute>',
      "requests per minute before HTTP 429; plain: all requests, default 0 (unlimited); therethere: imports per minute and user, default 300 (0: unlimited); a source: the account's limit, its plan's default (zendesk 700; helpspot 0: none, as HelpSpot has none)",
    )
    .option('--api-rate-limit <perMinute>', 'therethere only: every other /api request per minute and user, default 0 (unlimited)')
    .option('--incremental-limit <perMinute>', 'zendesk only: /api/v2/incremental/* requests per minute, default 10 (0: unlimited)')
    .option('--latency <ms>', 'delay before each answer', '0')
    .addHelpText(
      'after',
      examples([
        'plain-migrate emulator --port 4849 --seed examples/quickstart/emulator-seed.yaml --rate-limit 450',
        'plain-migrate emulator --kind therethere --port 4850 --seed therethere-seed.yaml',
        'plain-migrate emulator --kind therethere --rate-limit 30 --api-rate-limit 60 --latency 20',
        'plain-migrate emulator --kind zendesk --seed examples/quickstart/export --incremental-limit 0',
        'plain-migrate emulator --kind freshdesk --seed examples/freshdesk-api/export',
        'plain-migrate emulator --kind helpscout --seed examples/helpscout-api/seed',
        'plain-migrate emulator --kind intercom --seed examples/intercom-api/export',
        'plain-migrate emulator --kind front --seed examples/front-api/seed',
        'plain-migrate emulator --kind helpspot --seed examples/helpspot-api/seed',
      ]),
    )
    .action(function (this: Command) {
      return act(async () => (await import('./commands/emulator.js')).emulatorCommand(io, this.opts() as EmulatorFlags))();
    });

  program
    .command('demo')
    .description('Plan and apply examples/quickstart into an embedded emulator.')
    .option('--reset', 'forget the demo’s recorded state first')
    .action(function (this: Command) {
      return act(async () => {
        const { interruptSignals } = await import('./commands/apply.js');
        const signals = interruptSignals(io);
        try {
          const { demoCommand } = await import('./commands/demo.js');
          return await demoCommand(io, globals(this) as GlobalFlags & { reset?: boolean }, signals);
        } finally {
          signals.dispose();
        }
      })();
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    // Ctrl-C during the pull that plan and apply start with: interrupted, like any other Ctrl-C.
    if (isPmError(e) && e.code === 'pull.interrupted') {
      reportError(io, e);
      return 130;
    }
    return reportError(io, e);
  }
}
