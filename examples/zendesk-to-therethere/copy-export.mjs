#!/usr/bin/env node
// Copies the quickstart's export (../quickstart/export, written by ../quickstart/generate.mjs) into
// ./export, byte for byte. A manifest's relative paths may not leave its directory, so this example
// carries its own copy; the output is committed, and a test checks that it matches the quickstart's.
//
//   node examples/zendesk-to-therethere/copy-export.mjs
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const FROM = join(HERE, '..', 'quickstart', 'export');
const TO = join(HERE, 'export');

rmSync(TO, { recursive: true, force: true });
cpSync(FROM, TO, { recursive: true });
