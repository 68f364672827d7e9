/**
 * `validate --sample N`: what the first N records of `threads.source` map to, field by field.
 *
 * The output is YAML (built with the `yaml` Document API so that comments can sit next to values): per
 * record its location, the value every declared field's expression gave, `# → …` the value after the
 * rules normalise it, `# ✗ …` every reason the field makes the record (or message) invalid, `# ℹ …`
 * notes (a table value that took `_default`), then the
 * messages in the order they would be sent, then the verdict.
 *
 * Nothing is re-implemented: expressions go through `evaluate` with the planner's bindings, and every
 * field is checked as the Mapper checks it: by rules.ts for what means the same on every target, and
 * by the manifest target's MappingRules (adapterFor(target).rules) for everything else, each rule
 * called with a fresh reasons array so that each reason can be put next to the field it concerns.
 * Nothing asks the target: the rules get PASSTHROUGH's answers (names and emails kept as they are),
 * and what they would have looked up is said in a note.
 */
import path from 'node:path';
import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { sourceLabel, type Manifest } from '../../manifest/types.js';
import type { SnapshotStore } from '../../state/types.js';
import { recordWhere } from '../../mapping/map.js';
import { openIndexes } from '../../plan/plan.js';
import { readSource } from '../../sources/index.js';
import { SampleContext } from './context.js';
import { ThreadSampler, type Tally } from './thread.js';
import { oneLine, plural } from './text.js';

export interface SampleOptions {
  /** The clock for "not in the future" (default Date.now). */
  now?: () => number;
  /** Where live sources' records are (the state's snapshot, as the last pull left it). */
  snapshot?: SnapshotStore;
}

/**
 * What the first `n` records of `threads.source` map to, as commented YAML text (see the module comment).
 * Opens and closes the source indexes itself and stops reading the source after `n` records.
 */
export async function sampleMapping(manifest: Manifest, n: number, opts: SampleOptions = {}): Promise<string> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--sample takes a whole number of records; got ${String(n)}`);
  const now = (opts.now ?? Date.now)();
  const decl = manifest.sources[manifest.threads.source];
  if (!decl) throw new Error(`threads.source names '${manifest.threads.source}', which is not a declared source`);

  const doc = new Document(new YAMLMap());
  const root = doc.contents as YAMLMap;
  const tally: Tally = { records: 0, import: 0, invalid: 0, filtered: 0, messages: 0, invalidMessages: 0 };
  const records = new YAMLSeq();
  const header = [
    ` plain-migrate validate --sample ${n}: the first ${plural(n, 'record')} of source "${decl.name}" (${sourceLabel(decl)}),`,
    ` mapped by ${path.basename(manifest.file)} field by field. Each field shows the value its expression gave, and`,
    ' after it "→" the value once the rules normalise it, "✗" why the record (or message) is invalid, "ℹ" a note.',
    ' Messages are listed in the order they would be sent (index: their position in what threads.messages.each',
    ' gave), then those that would not be sent.',
  ];
  let exhausted = true;

  if (n > 0) {
    const indexes = await openIndexes(manifest, opts.snapshot);
    try {
      const cx = new SampleContext(manifest, doc, indexes, now);
      const sampler = new ThreadSampler(cx);
      const indexProblems = [...indexes.key.values(), ...indexes.groupBy.values()].flatMap((i) => i.errors.map((e) => e.message));
      for (const p of indexProblems.slice(0, 5)) header.push(` ✗ ${oneLine(p)}`);
      if (indexProblems.length > 5) header.push(` ✗ … and ${indexProblems.length - 5} more problems in keyed or grouped sources (see plan)`);

      for await (const item of readSource(decl, { snapshot: opts.snapshot })) {
        tally.records++;
        const where = recordWhere(item.location);
        if (!item.ok) {
          const out = new YAMLMap();
          out.add(new Pair('record', where));
          const v = new Scalar('invalid');
          v.comment = ` → invalid: ${oneLine(item.error.message)}`;
          out.add(new Pair('verdict', v));
          tally.invalid++;
          records.add(out);
        } else {
          records.add(await sampler.record(item.record, where, tally));
        }
        if (tally.records >= n) {
          exhausted = false;
          break; // closes the source: nothing after the n-th record is read
        }
      }
      cx.comments.apply();
    } finally {
      indexes.close();
    }
  }

  doc.commentBefore = header.join('\n');
  root.add(new Pair('manifest', manifest.name));
  root.add(new Pair('source', `${decl.name} (${sourceLabel(decl)})`));
  root.add(new Pair('records', records));
  const summary = doc.createNode({
    records: tally.records,
    import: tally.import,
    invalid: tally.invalid,
    filtered: tally.filtered,
    messages: tally.messages,
    invalidMessages: tally.invalidMessages,
  }) as YAMLMap;
  summary.comment = n === 0
    ? ' --sample 0: nothing read'
    : exhausted
    ? ` the source has ${plural(tally.records, 'record')}${n > tally.records ? `, fewer than --sample ${n}` : ''}`
    : ` stopped after ${plural(tally.records, 'record')}; plan reads them all`;
  root.add(new Pair('summary', summary));
  return doc.toString({ lineWidth: 0 });
}
