#!/usr/bin/env node
/**
 * Run by `npm run build` after tsc: writes dist/manifest/schema-validator.cjs, ajv's standalone code
 * for plain-migrate.schema.json with the options the CLI uses (AJV_OPTIONS), and the schema's sha256.
 * src/manifest/schema-validate.ts loads it instead of compiling the schema at every start, and only
 * when the sha256 matches the schema file it reads.
 *
 * Why ajv's own standalone output rather than a cache of our own: it is ajv's documented way to ship a
 * compiled validator, and the code is the code ajv.compile makes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { Ajv } = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { AJV_OPTIONS, PREBUILT_VALIDATOR_URL, SCHEMA_URL, schemaSha256 } = await import('../dist/manifest/schema-validate.js');

const text = readFileSync(SCHEMA_URL, 'utf8');
const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
const validate = ajv.compile(JSON.parse(text));
const code = `${standaloneCode(ajv, validate)}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaSha256(text))};\n`;
writeFileSync(fileURLToPath(PREBUILT_VALIDATOR_URL), code);
