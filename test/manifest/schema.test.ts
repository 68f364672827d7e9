import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/manifest/index.js';
import { FIXTURES, ROOT } from './helpers.js';

type Schema = {
  description?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  definitions?: Record<string, Schema>;
  type?: string | string[];
};

const schema = manifestSchema() as Schema;

function resolve(s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace('#/definitions/', '');
  const target = schema.definitions?.[name];
  if (!target) throw new Error(`unresolved ${s.$ref}`);
  return { ...resolve(target), ...(s.description ? { description: s.description } : {}) };
}

/** Every named property in the schema, with its JSON path, wherever it is declared. */
function allProperties(): Array<{ where: string; schema: Schema }> {
  const out: Array<{ where: string; schema: Schema }> = [];
  const visit = (s: Schema, where: string): void => {
    for (const [k, p] of Object.entries(s.properties ?? {})) {
      out.push({ where: `${where}.${k}`, schema: p });
      visit(p, `${where}.${k}`);
    }
    if (typeof s.additionalProperties === 'object') visit(s.additionalProperties, `${where}.*`);
    if (s.items) visit(s.items, `${where}[]`);
  };
  visit(schema, '$');
  for (const [name, d] of Object.entries(schema.definitions ?? {})) visit(d, `#${name}`);
  return out;
}

/** The schema that applies to `path` (keys of maps), or undefined when the schema has no such key. */
function schemaAt(keys: readonly (string | number)[]): Schema | undefined {
  let s: Schema | undefined = schema;
  for (const k of keys) {
    if (!s) return undefined;
    s = resolve(s);
    if (typeof k === 'number') s = s.items;
    else if (s.properties && k in s.properties) s = s.properties[k];
    else if (typeof s.additionalProperties === 'object') s = s.additionalProperties;
    else if (s.additionalProperties === false || s.properties) return undefined;
    else return {}; // free-form (table rows)
  }
  return s;
}

function keyPaths(v: unknown, prefix: (string | number)[] = []): Array<(string | number)[]> {
  if (Array.isArray(v)) return v.flatMap((x, i) => keyPaths(x, [...prefix, i]));
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => [[...prefix, k], ...keyPaths(x, [...prefix, k])]);
  }
  return [];
}

describe('plain-migrate.schema.json', () => {
  it('is draft-07 and read from the project root', () => {
    const raw = JSON.parse(readFileSync(path.join(ROOT, 'plain-migrate.schema.json'), 'utf8')) as { $schema: string };
    expect(raw.$schema).toBe('http://json-schema.org/draft-07/schema#');
  });

  it('has a description on every property', () => {
    const missing = allProperties()
      .filter(({ schema: s }) => !s.description && !resolve(s).description)
      .map(({ where }) => where);
    expect(missing).toEqual([]);
    expect(allProperties().length).toBeGreaterThan(50);
  });

  it('states the defaults of the contract', () => {
    expect(schemaAt(['batching', 'messagesPerRequest'])).toMatchObject({ default: 25, minimum: 1, maximum: 25 });
    expect(schemaAt(['batching', 'concurrency'])).toMatchObject({ default: 8 });
    expect(schemaAt(['batching', 'requestsPerMinute'])).toMatchObject({ default: 450 });
    expect(schemaAt(['batching', 'maxAttempts'])).toMatchObject({ default: 8 });
    expect(schemaAt(['batching', 'requestTimeout'])).toMatchObject({ default: '30s' });
    expect(schemaAt(['state', 'path'])).toMatchObject({ default: '.plain-migrate/state.db' });
    expect(schemaAt(['target', 'plain', 'endpoint'])).toMatchObject({ default: 'https://core-api.uk.plain.com/graphql/v1' });
    expect(schemaAt(['target', 'therethere', 'baseUrl'])).toMatchObject({ default: 'https://there-there.app' });
  });

  it.each(['complete.yaml', 'additions.yaml', 'therethere.yaml'])('knows every key used in %s', (name) => {
    const doc: unknown = parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
    const unknown = keyPaths(doc)
      .filter((p) => !p.some((k) => k === 'tables'))
      .filter((p) => typeof p[p.length - 1] === 'string' && schemaAt(p) === undefined)
      .map((p) => p.join('.'));
    expect(unknown).toEqual([]);
  });

  it('knows every key of the contract, including the Additions and There There', () => {
    const keys = [
      'version', 'name', 'target.plain.apiKey', 'target.plain.endpoint', 'target.plain.createMissingLabelTypes',
      'target.therethere.token', 'target.therethere.channel', 'target.therethere.baseUrl', 'target.therethere.workspaceId',
      'target.therethere.appendAs', 'state.path', 'sources.x.path', 'sources.x.key', 'sources.x.groupBy', 'sources.x.select',
      'sources.x.csv.delimiter', 'sources.x.csv.header', 'sources.x.csv.columns', 'attachments.fetch', 'attachments.maxBytes',
      'attachments.onSkip', 'threads.source', 'threads.where', 'threads.externalId', 'threads.title', 'threads.description',
      'threads.externalUrl', 'threads.createdAt', 'threads.closedAt', 'threads.status', 'threads.statusDetail',
      'threads.priority', 'threads.labels', 'threads.assignee', 'threads.tenant', 'threads.fields', 'threads.customer.email',
      'threads.customer.fullName', 'threads.customer.externalId', 'threads.messages.each', 'threads.messages.where',
      'threads.messages.externalId', 'threads.messages.type', 'threads.messages.text', 'threads.messages.createdAt',
      'threads.messages.author', 'threads.messages.attachments', 'batching.messagesPerRequest', 'batching.concurrency',
      'batching.requestsPerMinute', 'batching.maxAttempts', 'batching.requestTimeout',
      // Live sources (contract v1 addition)
      'connections.x.kind', 'connections.x.baseUrl', 'connections.x.auth', 'connections.x.headers', 'connections.x.since',
      'connections.x.requestsPerMinute', 'sources.x.connection', 'sources.x.stream', 'sources.x.request', 'sources.x.records',
      'sources.x.next', 'sources.x.cursor', 'sources.x.command', 'sources.x.protocol', 'sources.x.env',
    ];
    expect(keys.filter((k) => schemaAt(k.split('.')) === undefined)).toEqual([]);
    expect(schemaAt(['attachments', 'fetch', 0, 'prefix'])).toBeDefined();
    expect(schemaAt(['attachments', 'fetch', 0, 'headers'])).toBeDefined();
    expect(schemaAt(['threads', 'nosuch'])).toBeUndefined();
  });
});
