#!/usr/bin/env node
// Makes docs/apply-screen.svg from a real run: the quickstart is applied in tmux against the
// embedded emulator (with latency, so the live view is caught mid-run), the pane is captured with
// its colours, and the capture is drawn as SVG text. Run after `npm run build`:
//   node scripts/capture-apply-screen.mjs
// (A small SGR-to-SVG conversion is written here because it is a docs tool, not shipped code.)
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlainSeed, startPlainEmulator } from '../dist/emulators/plain/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = join(root, 'examples/quickstart');
const dir = mkdtempSync(join(tmpdir(), 'pm-screen-'));
cpSync(join(quick, 'export'), join(dir, 'export'), { recursive: true });
cpSync(join(quick, 'plain-migrate.yaml'), join(dir, 'plain-migrate.yaml'));
const emu = await startPlainEmulator({ seed: await loadPlainSeed(join(quick, 'emulator-seed.yaml')), latencyMs: 40 });
const sock = `pm-screen-${process.pid}`;
const tmux = (...a) => execFileSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
const cols = 100;
const rows = 14;
tmux('new-session', '-d', '-s', 's', '-x', String(cols), '-y', String(rows),
  `cd ${dir} && env -u CI TERM=xterm-256color PLAIN_API_KEY=demo PLAIN_ENDPOINT=${emu.graphqlUrl} ${process.execPath} ${join(root, 'bin/plain-migrate.js')} apply --auto-approve; sleep 30`);
let frame = '';
for (let i = 0; i < 200; i++) {
  await new Promise((r) => setTimeout(r, 100));
  const plain = tmux('capture-pane', '-p', '-t', 's');
  const m = /messages +\S+ (\d+)\/(\d+)/.exec(plain);
  if (m && Number(m[1]) > Number(m[2]) * 0.45) {
    frame = tmux('capture-pane', '-p', '-e', '-t', 's');
    break;
  }
}
spawnSync('tmux', ['-L', sock, 'kill-server']);
await emu.close();
if (!frame) throw new Error('did not catch the live view');

const palette = ['#1e1e1e', '#e06c75', '#98c379', '#e5c07b', '#61afef', '#c678dd', '#56b6c2', '#dcdfe4'];
const bright = ['#5c6370', '#ff7b86', '#b5e890', '#ffd68a', '#82c4ff', '#e29bff', '#7fdbe6', '#ffffff'];
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cw = 8.4;
const lh = 18;
const lines = frame.replace(/\n+$/, '').split('\n');
let out = '';
lines.forEach((line, y) => {
  let fg = '#dcdfe4';
  let bold = false;
  let dim = false;
  let x = 0;
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    const sgr = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (sgr) {
      const codes = sgr[1] === '' ? [0] : sgr[1].split(';').map(Number);
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i];
        if (c === 0) { fg = '#dcdfe4'; bold = false; dim = false; }
        else if (c === 1) bold = true;
        else if (c === 2) dim = true;
        else if (c === 22) { bold = false; dim = false; }
        else if (c >= 30 && c <= 37) fg = palette[c - 30];
        else if (c >= 90 && c <= 97) fg = bright[c - 90];
        else if (c === 39) fg = '#dcdfe4';
        else if (c === 38 && codes[i + 1] === 5) { const n = codes[i + 2]; fg = n < 8 ? palette[n] : n < 16 ? bright[n - 8] : '#dcdfe4'; i += 2; }
      }
      continue;
    }
    if (!part) continue;
    out += `<text x="${(12 + x * cw).toFixed(1)}" y="${24 + y * lh}" fill="${fg}"${bold ? ' font-weight="bold"' : ''}${dim ? ' opacity="0.6"' : ''}>${esc(part)}</text>`;
    x += [...part].length;
  }
});
const w = Math.ceil(24 + cols * cw);
const h = 24 + lines.length * lh;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14" xml:space="preserve"><rect width="100%" height="100%" rx="6" fill="#1e1e1e"/>${out}</svg>\n`;
writeFileSync(join(root, 'docs/apply-screen.svg'), svg);
console.log(`wrote docs/apply-screen.svg (${lines.length} lines captured mid-run)`);
