import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/index.js';
import { ROOT } from '../manifest/helpers.js';

const DIR = path.join(ROOT, 'examples/github-actions');
const WORKFLOW = path.join(DIR, '.github/workflows/plain-migrate.yml');
const MANIFEST = path.join(DIR, 'plain-migrate.yaml');

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly id?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly concurrency?: { group: string; 'cancel-in-progress': boolean | string };
  readonly permissions?: Record<string, string>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, { branches?: string[]; paths?: string[] }>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflow = parse(readFileSync(WORKFLOW, 'utf8')) as Workflow;
const manifestText = readFileSync(MANIFEST, 'utf8');
const plan = workflow.jobs['plan']!;
const apply = workflow.jobs['apply']!;

/** The index of the one step whose `run` matches. */
function runStep(job: Job, re: RegExp): number {
  const at = job.steps.map((s, i) => (s.run && re.test(s.run) ? i : -1)).filter((i) => i >= 0);
  expect(at, String(re)).toHaveLength(1);
  return at[0]!;
}

function usesStep(job: Job, action: string): number[] {
  return job.steps.map((s, i) => (s.uses?.startsWith(`${action}@`) ? i : -1)).filter((i) => i >= 0);
}

/** Every string value in the document, with its path. */
function strings(v: unknown, at = ''): Array<[string, string]> {
  if (typeof v === 'string') return [[at, v]];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${at}[${i}]`));
  if (v !== null && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => strings(x, at ? `${at}.${k}` : k));
  return [];
}

/** The ${VAR} names the manifest reads from the environment. */
const manifestVars = [...new Set([...manifestText.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?::-[^}]*)?\}/g)].map((m) => m[1]!))];

describe('examples/github-actions: the workflow', () => {
  it('runs on pull requests and pushes to main that touch the manifest', () => {
    expect(workflow.on['pull_request']?.branches).toEqual(['main']);
    expect(workflow.on['push']?.branches).toEqual(['main']);
    expect(workflow.on['pull_request']?.paths).toContain('plain-migrate.yaml');
    expect(workflow.on['push']?.paths).toEqual(workflow.on['pull_request']?.paths);
    expect(plan.if).toBe("github.event_name == 'pull_request'");
    expect(apply.if).toBe("github.event_name == 'push'");
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('the plan job plans as Markdown, saves the plan, keeps it as an artifact and posts the Markdown as a comment', () => {
    const p = runStep(plan, /plain-migrate plan\b/);
    expect(plan.steps[p]!.run).toBe('npx plain-migrate plan --format markdown --out plan.json > plan.md');
    expect(runStep(plan, /^npm ci$/)).toBeLessThan(p);
    const setup = usesStep(plan, 'actions/setup-node');
    expect(setup).toHaveLength(1);
    expect(plan.steps[setup[0]!]!.with?.['node-version']).toBe(20);
    const upload = usesStep(plan, 'actions/upload-artifact');
    expect(upload).toHaveLength(1);
    expect(upload[0]).toBeGreaterThan(p);
    expect(plan.steps[upload[0]!]!.with).toMatchObject({ name: 'plain-migrate-plan', path: 'plan.json' });
    const comments = usesStep(plan, 'marocchino/sticky-pull-request-comment');
    const posted = comments.filter((i) => plan.steps[i]!.with?.['path'] === 'plan.md');
    expect(posted).toHaveLength(1);
    expect(posted[0]).toBeGreaterThan(p);
    expect(plan.steps[posted[0]!]!.if).toBeUndefined();
    expect(plan.permissions).toMatchObject({ 'pull-requests': 'write' });
    expect(plan.concurrency?.['cancel-in-progress']).toBe(true);
  });

  it('the apply job applies the saved plan it downloads, never a new plan', () => {
    const a = runStep(apply, /plain-migrate apply\b/);
    expect(apply.steps[a]!.run).toMatch(/^npx plain-migrate apply plan\.json(\s|$)/);
    expect(apply.steps[a]!.run).not.toMatch(/--auto-approve/); // a saved plan needs no approval; without one, apply would plan anew
    expect(apply.steps.some((s) => s.run && /plain-migrate plan\b/.test(s.run))).toBe(false);
    const download = usesStep(apply, 'actions/download-artifact');
    expect(download).toHaveLength(1);
    expect(download[0]).toBeLessThan(a);
    const uploaded = plan.steps[usesStep(plan, 'actions/upload-artifact')[0]!]!.with?.['name'];
    expect(apply.steps[download[0]!]!.with).toMatchObject({ name: uploaded, 'run-id': '${{ steps.pr.outputs.run-id }}' });
    const find = apply.steps.findIndex((s) => s.id === 'pr');
    expect(find).toBeGreaterThanOrEqual(0);
    expect(find).toBeLessThan(download[0]!);
    expect(String(apply.steps[find]!.with?.['script'])).toContain('listPullRequestsAssociatedWithCommit');
    expect(apply.permissions).toMatchObject({ actions: 'read' });
    expect(apply.concurrency).toEqual({ group: 'plain-migrate-apply', 'cancel-in-progress': false });
  });

  it('gives plan and apply every variable the manifest reads, from GitHub secrets only', () => {
    expect(manifestVars.sort()).toEqual(['PLAIN_API_KEY', 'PLAIN_MIGRATE_DATABASE_URL']);
    for (const job of [plan, apply]) {
      const step = job.steps.find((s) => s.run && /plain-migrate (plan|apply)\b/.test(s.run))!;
      for (const v of manifestVars) expect(step.env?.[v], v).toBe(`\${{ secrets.${v} }}`);
    }
  });

  it('inlines no secret value: every env value is an expression, no URL carries a password, no token is written out', () => {
    for (const [where, v] of strings(workflow)) {
      if (where.includes('.env.')) expect(v, where).toMatch(/^\$\{\{ secrets\.[A-Z_][A-Z0-9_]* \}\}$/);
      if (where.endsWith('github-token')) expect(v, where).toBe('${{ github.token }}');
      expect(v, where).not.toMatch(/postgres(ql)?:\/\/[^\s/]*:[^\s/@]*@/);
      expect(v, where).not.toMatch(/\b(plainApiKey__|ghp_|github_pat_)\w+/);
    }
    const raw = readFileSync(WORKFLOW, 'utf8');
    // Secrets appear only as ${{ secrets.NAME }} (never echoed, never written to a file).
    for (const line of raw.split('\n').filter((l) => /secrets\./.test(l) && !l.trimStart().startsWith('#'))) {
      expect(line, line).toMatch(/^\s+[A-Z_][A-Z0-9_]*: \$\{\{ secrets\.[A-Z_][A-Z0-9_]* \}\}$/);
    }
  });

  it('pins every action to a major version', () => {
    const uses = Object.values(workflow.jobs).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThanOrEqual(6);
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w.-]+@v\d+$/);
  });
});

describe('examples/github-actions: the manifest', () => {
  it('keeps its state in PostgreSQL, the URL (and so the password) in the environment only', () => {
    const doc = parse(manifestText) as { state: Record<string, unknown>; target: { plain: Record<string, unknown> } };
    expect(doc.state).toEqual({ backend: 'postgres', url: '${PLAIN_MIGRATE_DATABASE_URL}', schema: 'plain_migrate' });
    expect(doc.target.plain['apiKey']).toBe('${PLAIN_API_KEY}');
    expect(manifestText).not.toMatch(/postgres(ql)?:\/\/[^\s/]*:[^\s/@]*@(?!host)/);
  });

  it('loads with the two variables set, its sources beside it, and names neither secret when shown', async () => {
    const url = 'postgres://migrator:s3cret-pw@db.internal:5432/helpdesk?sslmode=verify-full';
    const m = await loadManifest(MANIFEST, { env: { PLAIN_API_KEY: 'plainApiKey__x', PLAIN_MIGRATE_DATABASE_URL: url } });
    expect(m.name).toBe('acme-zendesk-to-plain');
    expect(m.state).toMatchObject({ backend: 'postgres', url, schema: 'plain_migrate' });
    expect(JSON.stringify(m.state)).not.toContain('s3cret-pw');
    for (const s of Object.values(m.sources)) expect(path.relative(DIR, String(s.path))).toMatch(/^export\//);
    await expect(loadManifest(MANIFEST, { env: { PLAIN_API_KEY: 'plainApiKey__x' } })).rejects.toThrow();
  });
});
