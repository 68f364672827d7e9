// Loaded with `node --import` by test/cli/start-imports.test.ts: appends every module the process
// resolves, ES modules (a resolve hook) and CommonJS ones (require's resolution), to the file named
// by PM_RECORD_IMPORTS, one URL or path a line.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const file = process.env.PM_RECORD_IMPORTS;
register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { file } });
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const resolved = resolveFilename.apply(this, args);
  if (file) appendFileSync(file, `${resolved}\n`);
  return resolved;
};
