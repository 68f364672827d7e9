/**
 * A program's output as a live source (`command:`): jsonl records, or the RECORD/STATE messages of a Singer
 * tap or an Airbyte source. The program runs without a shell in the manifest's directory with only the
 * environment the source declares; its records go to the snapshot as `command.<source>`. See README.md.
 */
import type { LiveSourceDecl } from '../../manifest/types.js';
import type { AdapterProblem, LiveKind, PullJob } from '../live/types.js';
import { allowedPlaceholders, commandOf, placeholdersIn, protocolOf, pullCommand } from './pull.js';

export { type CommandStreamState } from './pull.js';

function checkSource(decl: LiveSourceDecl): AdapterProblem[] {
  const problems: AdapterProblem[] = [];
  const protocol = protocolOf(decl);
  const allowed = allowedPlaceholders(protocol);
  const command = commandOf(decl);
  command.forEach((arg, i) => {
    const bad = placeholdersIn(arg).filter((n) => !allowed.includes(n));
    if (bad.length === 0) return;
    problems.push({
      message: `sources.${decl.name}.command[${i}] holds ${bad.map((n) => `{{${n}}}`).join(', ')}, which a ${protocol} source does not replace`,
      path: ['command', String(i)],
      hint:
        protocol === 'jsonl'
          ? '{{cursor}} is the largest cursor: value of the last pull (empty on the first); {{state}} is for protocol: singer or airbyte'
          : '{{state}} is the path of a file holding the last STATE (e.g. --state "{{state}}"), {{cursor}} its JSON text',
    });
  });
  if (command.length > 0 && placeholdersIn(command[0]!).length > 0) {
    problems.push({ message: `sources.${decl.name}.command[0] is the program: it is taken as written`, path: ['command', '0'] });
  }
  if (protocol !== 'jsonl' && decl.exprs['cursor'] !== undefined) {
    problems.push({
      message: `sources.${decl.name}.cursor does not apply to a ${protocol} source: its STATE messages are its cursor`,
      path: ['cursor'],
      hint: 'remove cursor:, and pass the state back with {{state}} (a file) or {{cursor}} (its JSON)',
    });
  }
  return problems;
}

async function pull(job: PullJob): Promise<void> {
  for (const decl of job.sources) {
    job.signal.throwIfAborted();
    await pullCommand(job, decl);
  }
}

export const commandKind: LiveKind = {
  kind: 'command',
  usesConnection: false,
  auth: [],
  defaultRequestsPerMinute: 0,
  sourceKeys: ['command', 'protocol', 'stream', 'env', 'cursor', 'id'],
  requiredSourceKeys: ['command'],
  checkSource,
  pull,
};
