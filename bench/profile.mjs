#!/usr/bin/env node
/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): self time per function (name + url + line),
 * and self time per package / area, so that one can see where the time goes.
 *
 *   node bench/profile.mjs FILE.cpuprofile [--top 20]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A short, readable place for a url: node_modules/<pkg>/…, dist/…, node:… */
export function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  const dist = u.indexOf('/dist/');
  if (dist >= 0) return u.slice(dist + 1);
  const bench = u.indexOf('/bench/');
  if (bench >= 0) return u.slice(bench + 1);
  return u;
}

/** Which area a url belongs to: a package name, `plain-migrate dist/<dir>`, `node internals`, or V8's pseudo-frames. */
export function areaOf(name, url) {
  if (!url) return name.startsWith('(') ? name : '(native / builtin)';
  const s = shortUrl(url);
  if (url.includes('/node_modules/')) {
    const parts = s.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (s.startsWith('dist/')) return `plain-migrate ${s.split('/').slice(0, 2).join('/')}`;
  if (s.startsWith('node:')) return 'node internals';
  return s;
}

/**
 * Self time (ms) per function and per area. `window` keeps only the samples taken between `fromMs` and
 * `toMs` after the profile started (e.g. an apply's sending period).
 */
export function summariseProfile(profile, window = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const from = (window.fromMs ?? -Infinity) * 1000;
  const to = (window.toMs ?? Infinity) * 1000;
  let t = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the following interval to sample i.
    t += deltas[i] ?? 0;
    if (t < from || t > to) continue;
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, dt));
  }
  const fns = new Map();
  const areas = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const key = `${name}\u0000${cf.url}\u0000${cf.lineNumber}`;
    const e = fns.get(key) ?? { name, url: shortUrl(cf.url), line: cf.lineNumber + 1, ms: 0 };
    e.ms += us / 1000;
    fns.set(key, e);
    const area = areaOf(name, cf.url);
    areas.set(area, (areas.get(area) ?? 0) + us / 1000);
    total += us / 1000;
  }
  const top = [...fns.values()].sort((a, b) => b.ms - a.ms);
  const byArea = [...areas.entries()].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total, top, byArea };
}

export function summariseFile(file, window) {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')), window);
}

/** Markdown tables of the top functions and areas. */
export function profileMarkdown(summary, { top = 15, areas = 10 } = {}) {
  const pct = (ms) => `${((100 * ms) / summary.totalMs).toFixed(1)}%`;
  const lines = [];
  lines.push(`Sampled time: ${(summary.totalMs / 1000).toFixed(1)} s.`, '');
  lines.push('| self time | % | function | where |', '|---:|---:|---|---|');
  for (const f of summary.top.slice(0, top)) {
    lines.push(`| ${f.ms.toFixed(0)} ms | ${pct(f.ms)} | \`${f.name}\` | ${f.url ? `${f.url}:${f.line}` : ''} |`);
  }
  lines.push('', '| self time | % | area (package or dist/ folder) |', '|---:|---:|---|');
  for (const a of summary.byArea.slice(0, areas)) lines.push(`| ${a.ms.toFixed(0)} ms | ${pct(a.ms)} | ${a.area} |`);
  return lines.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile.mjs FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  const i = process.argv.indexOf('--top');
  const top = i > 0 ? Number(process.argv[i + 1]) : 20;
  process.stdout.write(`${profileMarkdown(summariseFile(file), { top, areas: 15 })}\n`);
}
