import { readFileSync } from 'node:fs';
import { buildSchema, parse, validate, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCUMENTS } from '../../src/targets/plain/documents.js';

let schema: GraphQLSchema;
beforeAll(() => {
  schema = buildSchema(readFileSync(new URL('../../schemas/plain.graphql', import.meta.url), 'utf8'));
});

describe('every GraphQL document plain-migrate sends', () => {
  it('is listed', () => {
    expect(Object.keys(DOCUMENTS).sort()).toEqual(
      [
        'customerByEmail', 'customerByExternalId', 'importThread', 'importThreadMessages', 'labelTypes', 'threadByExternalId', 'upsertCustomer', 'userByEmail',
        'threadFieldSchemas', 'createLabelType', 'upsertTenant', 'addCustomerToTenants', 'upsertThreadField', 'createAttachmentUploadUrl',
        'updateThreadTitle', 'changeThreadPriority', 'markThreadAsDone', 'markThreadAsTodo', 'snoozeThread', 'addLabels', 'removeLabels', 'assignThread', 'unassignThread',
        'readThreads1', 'readThreadsMax',
      ].sort(),
    );
  });

  for (const [name, doc] of Object.entries(DOCUMENTS)) {
    it(`${name} validates against schemas/plain.graphql`, () => {
      const errors = validate(schema, parse(doc));
      expect(errors.map((e) => e.message)).toEqual([]);
    });
  }

  it('a document with a field Plain does not have is caught by the same check', () => {
    const errors = validate(schema, parse('mutation x($input: ImportThreadInput!) { importThread(input: $input) { nosuch } }'));
    expect(errors.length).toBeGreaterThan(0);
  });

  it('schemas/plain.graphql is Plain’s published schema (the import mutations are there)', () => {
    const m = schema.getMutationType()!.getFields();
    expect(m.importThread).toBeDefined();
    expect(m.importThreadMessages).toBeDefined();
    expect(m.upsertCustomer).toBeDefined();
  });
});
