#!/usr/bin/env node
/**
 * The read-and-parse floor of an export: every `.jsonl` file of a directory read in 1 MiB chunks, split
 * into lines at the newline byte and each line decoded and given to JSON.parse — what no plan can be
 * faster than (issue 17 measures a plan against it). Prints JSON: { files, bytes, records, ms, peakRssMb }.
 *
 *   node bench/floor.mjs DIR
 */
import { createReadStream, readdirSync } from 'node:fs';
import { join } from 'node:path';

export async function readFloor(dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort();
  const started = performance.now();
  let bytes = 0;
  let records = 0;
  let peak = process.memoryUsage.rss();
  const line = (buf, from, to) => {
    if (to > from) {
      JSON.parse(buf.toString('utf8', from, to));
      records++;
    }
  };
  for (const f of files) {
    let rest = Buffer.alloc(0);
    for await (const chunk of createReadStream(join(dir, f), { highWaterMark: 1 << 20 })) {
      bytes += chunk.length;
      const buf = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        line(buf, start, nl);
        start = nl + 1;
      }
      rest = buf.subarray(start);
      peak = Math.max(peak, process.memoryUsage.rss());
    }
    if (rest.toString('utf8').trim()) line(rest, 0, rest.length);
  }
  return { files, bytes, records, ms: Math.round(performance.now() - started), peakRssMb: Math.round(peak / 2 ** 20) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node bench/floor.mjs DIR');
    process.exit(2);
  }
  console.log(JSON.stringify(await readFloor(dir)));
}
