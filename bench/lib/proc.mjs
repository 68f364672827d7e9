/**
 * Run a child process and measure it: wall time, CPU (user + system) and peak RSS from
 * `/usr/bin/time -v`-style accounting (`/usr/bin/time -f`), plus a /proc poll of the process's
 * RssAnon / RssFile / VmHWM every 100 ms (so a peak can be split into heap and mapped files).
 * Without /usr/bin/time, the poll alone gives VmHWM and the last CPU figures seen in /proc/<pid>/stat.
 * Every run has a timeout; on expiry the process (group) is killed and `timedOut` is set.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAS_TIME = existsSync('/usr/bin/time');
/** Children still running (process group leaders), so that an interrupted run can end them. */
export const running = new Set();
const timeFiles = new Set();

export function killRunning() {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
  for (const f of timeFiles) rmSync(f, { force: true });
  timeFiles.clear();
}
const CLK_TCK = 100;

function readStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => {
      const m = new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s);
      return m ? Number(m[1]) : 0;
    };
    return { hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile'), rss: kb('VmRSS') };
  } catch {
    return undefined;
  }
}

function readCpu(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK };
  } catch {
    return undefined;
  }
}

function childOf(pid) {
  try {
    const c = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0];
    return c ? Number(c) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {string} cmd  e.g. process.execPath
 * @param {string[]} args
 * @param {{cwd?: string, env?: object, timeoutMs: number, keepStdout?: boolean}} o
 */
export function runMeasured(cmd, args, o) {
  const timeFile = join(tmpdir(), `pm-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const argv = HAS_TIME ? ['/usr/bin/time', '-f', '%e %U %S %M', '-o', timeFile, cmd, ...args] : [cmd, ...args];
  const started = performance.now();
  const child = spawn(argv[0], argv.slice(1), { cwd: o.cwd, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  running.add(child.pid);
  timeFiles.add(timeFile);
  let stdout = '';
  let stderr = '';
  const cap = 4 << 20;
  child.stdout.setEncoding('utf8').on('data', (d) => {
    if (stdout.length < cap) stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    if (stderr.length < cap) stderr += d;
  });
  const peak = { hwm: 0, anon: 0, file: 0 };
  let lastCpu;
  let target;
  const poll = setInterval(() => {
    target ??= HAS_TIME ? childOf(child.pid) : child.pid;
    if (!target) return;
    const s = readStatus(target);
    if (s) {
      peak.hwm = Math.max(peak.hwm, s.hwm);
      peak.anon = Math.max(peak.anon, s.anon);
      peak.file = Math.max(peak.file, s.file);
    }
    lastCpu = readCpu(target) ?? lastCpu;
  }, 100);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, o.timeoutMs);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running.delete(child.pid);
      timeFiles.delete(timeFile);
      clearInterval(poll);
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      let userS = lastCpu?.user ?? NaN;
      let sysS = lastCpu?.sys ?? NaN;
      let maxRssKb = peak.hwm;
      let childWallS;
      if (HAS_TIME && existsSync(timeFile)) {
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(lines[lines.length - 1] ?? '');
        if (m) {
          childWallS = Number(m[1]);
          userS = Number(m[2]);
          sysS = Number(m[3]);
          maxRssKb = Number(m[4]);
        }
        rmSync(timeFile, { force: true });
      }
      // /usr/bin/time prints "Command exited with non-zero status N" first; the exit code is passed through.
      resolvePromise({ code, signal, timedOut, wallMs, childWallS, userS, sysS, cpuS: userS + sysS, maxRssKb, peakAnonKb: peak.anon, peakFileKb: peak.file, stdout, stderr });
    });
  });
}
