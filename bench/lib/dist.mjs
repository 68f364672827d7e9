/** A fingerprint of the built code (every .js under dist/) and its newest file time: others may rebuild it during a run. */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function distInfo(root) {
  const h = createHash('sha256');
  let newest = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js')) {
        h.update(p).update(readFileSync(p));
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  walk(join(root, 'dist'));
  return { hash: h.digest('hex').slice(0, 12), newest: new Date(newest).toISOString() };
}
