/**
 * The prebuilt schema validator (scripts/build-schema-validator.mjs, written into dist/ by `npm run
 * build`, which `npm test` runs first) is what the CLI loads instead of compiling the schema. It must
 * judge, coerce and explain every manifest exactly as ajv.compile does.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compiledValidator } from '../../src/manifest/schema-validate.js';

const ROOT = join(import.meta.dirname, '../..');
const PREBUILT = join(ROOT, 'dist/manifest/schema-validator.cjs');

/** Every manifest in examples/ and the bad-input corpus that parses as YAML. */
function manifests(): { name: string; doc: unknown }[] {
  const files = readdirSync(join(ROOT, 'examples')).map((d) => join(ROOT, 'examples', d, 'plain-migrate.yaml'));
  const cases = join(ROOT, 'test/bad-input/cases');
  for (const d of readdirSync(cases)) files.push(join(cases, d, 'plain-migrate.yaml'));
  const out: { name: string; doc: unknown }[] = [];
  for (const f of files) {
    if (!existsSync(f)) continue;
    try {
      out.push({ name: f.slice(ROOT.length + 1), doc: parse(readFileSync(f, 'utf8')) });
    } catch {
      // not YAML (a bad-input case): the schema never sees it
    }
  }
  return out;
}

/** A judgement as the CLI uses it: valid or not, the coerced document, and each error's details. */
function judge(validate: ValidateFunction, doc: unknown): unknown {
  const data = structuredClone(doc);
  const ok = validate(data);
  const errors = (validate.errors ?? []).map((e) => ({ path: e.instancePath, keyword: e.keyword, params: e.params, message: e.message, schemaPath: e.schemaPath, parentSchema: e.parentSchema }));
  return { ok, data, errors };
}

describe('the prebuilt manifest validator', () => {
  it('is built from the schema file as it is now', () => {
    expect(existsSync(PREBUILT), 'dist/manifest/schema-validator.cjs: run npm run build').toBe(true);
    const mod = createRequire(import.meta.url)(PREBUILT) as { schemaSha256: string };
    const sha = createHash('sha256').update(readFileSync(join(ROOT, 'plain-migrate.schema.json'))).digest('hex');
    expect(mod.schemaSha256).toBe(sha);
  });

  it('judges, coerces and explains every example and bad-input manifest as ajv.compile does', () => {
    const prebuilt = (createRequire(import.meta.url)(PREBUILT) as { default: ValidateFunction }).default;
    const compiled = compiledValidator();
    const docs = manifests();
    expect(docs.length).toBeGreaterThan(50);
    let invalid = 0;
    for (const { name, doc } of docs) {
      const a = judge(prebuilt, doc);
      expect(a, name).toEqual(judge(compiled, doc));
      if (!(a as { ok: boolean }).ok) invalid++;
    }
    // Variations the corpus may not have: strings to coerce, wrong types, unknown keys, a missing part.
    const base = docs.find((d) => d.name.startsWith('examples/quickstart'))!.doc as Record<string, unknown>;
    const variants: unknown[] = [
      { ...base, batching: { concurrency: '8', requestsPerMinute: '600' } },
      { ...base, batching: { concurrency: 'eight' } },
      { ...base, nonsense: true },
      { ...base, threads: undefined },
      { ...base, version: 2 },
      { ...base, sources: [] },
    ];
    for (const v of variants) expect(judge(prebuilt, v)).toEqual(judge(compiled, v));
    expect(invalid).toBeGreaterThan(5);
  });
});
