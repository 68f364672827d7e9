import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import {
  ACME,
  ADD_TO_TENANTS,
  ANN,
  FULL_KEY,
  gql,
  IMPORT_MESSAGES,
  IMPORT_THREAD,
  importThread,
  message,
  SEED,
  threadInput,
  UPSERT_CUSTOMER,
  type GqlError,
  type MutationErrorOut,
} from './helpers.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

const firstError = (errors: GqlError[] | undefined): GqlError => {
  expect(errors).toBeDefined();
  return (errors ?? [])[0] as GqlError;
};

describe('transport and authentication', () => {
  test('the url shape is http://127.0.0.1:PORT with /graphql/v1', () => {
    expect(emu.url).toBe(`http://127.0.0.1:${emu.port}`);
    expect(emu.graphqlUrl).toBe(`${emu.url}/graphql/v1`);
    expect(emu.port).toBeGreaterThan(0);
  });

  test('a missing Authorization header is HTTP 401 UNAUTHENTICATED', async () => {
    const r = await gql(emu, '{ userByEmail(email: "sara@acme.com") { id } }', undefined, { key: null });
    expect(r.status).toBe(401);
    expect(r.body.data).toBeUndefined();
    expect(firstError(r.body.errors).extensions?.code).toBe('UNAUTHENTICATED');
    expect(r.headers.get('x-ratelimit-limit')).not.toBeNull();
  });

  test('an unknown API key is HTTP 401 UNAUTHENTICATED', async () => {
    const r = await gql(emu, '{ userByEmail(email: "sara@acme.com") { id } }', undefined, { key: 'plainApiKey_nope' });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ errors: [{ message: 'Invalid API key', extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  test('a malformed Authorization header is HTTP 401', async () => {
    const res = await fetch(emu.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: FULL_KEY },
      body: JSON.stringify({ query: '{ myPermissions { permissions } }' }),
    });
    expect(res.status).toBe(401);
  });

  test('without apiKeys in the seed any non-empty key has every permission, and an empty one is refused', async () => {
    const open = await startPlainEmulator({ seed: { customers: [{ email: 'x@example.com', fullName: 'X' }] } });
    try {
      const ok = await gql<{ customerByEmail: { email: { email: string } } }>(open, '{ customerByEmail(email: "x@example.com") { email { email } } }', undefined, { key: 'anything' });
      expect(ok.status).toBe(200);
      expect(ok.body.data?.customerByEmail.email.email).toBe('x@example.com');
      const res = await fetch(open.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer ' }, body: '{"query":"{ myPermissions { permissions } }"}' });
      expect(res.status).toBe(401);
    } finally {
      await open.close();
    }
  });

  test('GET /graphql/v1 is refused with 405: POST only', async () => {
    const res = await fetch(emu.graphqlUrl, { headers: { authorization: `Bearer ${FULL_KEY}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  test('a body that is not JSON, or a non-JSON content type, is HTTP 400', async () => {
    const post = (body: string, type: string): Promise<Response> =>
      fetch(emu.graphqlUrl, { method: 'POST', headers: { 'content-type': type, authorization: `Bearer ${FULL_KEY}` }, body });
    expect((await post('{not json', 'application/json')).status).toBe(400);
    expect((await post('{"variables":{}}', 'application/json')).status).toBe(400);
    expect((await post('{"query":"{ myPermissions { permissions } }"}', 'text/plain')).status).toBe(400);
    expect((await post('{"query":"{ myPermissions { permissions } }"}', 'application/json; charset=utf-8')).status).toBe(200);
  });

  test('unknown paths are 404', async () => {
    const res = await fetch(`${emu.url}/graphql`, { method: 'POST' });
    expect(res.status).toBe(404);
  });
});

describe('GraphQL request errors', () => {
  test('a syntax error is HTTP 400 GRAPHQL_PARSE_FAILED', async () => {
    const r = await gql(emu, '{ userByEmail(email: "x") { id ');
    expect(r.status).toBe(400);
    expect(firstError(r.body.errors).extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  test('a document invalid against the schema is HTTP 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const unknownField = await gql(emu, '{ userByEmail(email: "x") { id shoeSize } }');
    expect(unknownField.status).toBe(400);
    expect(firstError(unknownField.body.errors).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(firstError(unknownField.body.errors).message).toContain('shoeSize');

    const badLiteral = await gql(emu, 'mutation { importThread(input: { title: 3 }) { result } }');
    expect(badLiteral.status).toBe(400);
    expect(firstError(badLiteral.body.errors).extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  test('variables that do not fit their types are HTTP 400 BAD_USER_INPUT and nothing is applied', async () => {
    const missingTitle = { ...threadInput() };
    delete missingTitle.title;
    const r1 = await gql(emu, IMPORT_THREAD, { input: missingTitle });
    expect(r1.status).toBe(400);
    expect(firstError(r1.body.errors).extensions?.code).toBe('BAD_USER_INPUT');

    const r2 = await gql(emu, IMPORT_THREAD, { input: threadInput({ status: 'OPEN' }) });
    expect(r2.status).toBe(400);
    expect(firstError(r2.body.errors).extensions?.code).toBe('BAD_USER_INPUT');

    const r3 = await gql(emu, IMPORT_MESSAGES, { input: { threadId: 'th_x', threadMessages: [message({ type: 'EMAIL' })] } });
    expect(r3.status).toBe(400);
    expect(firstError(r3.body.errors).extensions?.code).toBe('BAD_USER_INPUT');
    expect(emu.snapshot().threads).toEqual([]);
  });

  test('several operations without an operationName is HTTP 400; with one, that one runs', async () => {
    const doc = 'query a { myPermissions { permissions } } query b { userByEmail(email: "sara@acme.com") { email } }';
    expect((await gql(emu, doc)).status).toBe(400);
    const r = await gql<{ userByEmail: { email: string } }>(emu, doc, undefined, { operationName: 'b' });
    expect(r.status).toBe(200);
    expect(r.body.data?.userByEmail.email).toBe('sara@acme.com');
  });

  test('a field the emulator does not implement is a GraphQL error, not a silent null', async () => {
    const r = await gql(emu, '{ myWorkspace { id } }');
    expect(r.status).toBe(200);
    expect(firstError(r.body.errors).message).toContain('not implemented by the emulator');
  });
});

describe('permissions', () => {
  const forbidden = (error: MutationErrorOut | null | undefined, permission: string): void => {
    expect(error).toMatchObject({ type: 'FORBIDDEN', code: 'forbidden', fields: [] });
    expect(error?.message).toContain(permission);
  };

  test('importThread without thread:import is a FORBIDDEN MutationError naming the permission; nothing is applied', async () => {
    const r = await importThread(emu, {}, 'key-without-thread:import');
    expect(r.thread).toBeNull();
    expect(r.result).toBeNull();
    forbidden(r.error, 'thread:import');
    expect(r.error?.message).toBe('Missing permission: thread:import');
    expect(emu.snapshot().threads).toHaveLength(0);
  });

  test('importThreadMessages without thread:import is FORBIDDEN, and with attachments it also needs attachment:create', async () => {
    const t = await importThread(emu);
    const threadId = t.thread?.id ?? '';
    const r = await gql<{ importThreadMessages: { results: unknown[]; error: MutationErrorOut } }>(
      emu,
      IMPORT_MESSAGES,
      { input: { threadId, threadMessages: [message()] } },
      { key: 'key-without-thread:import' },
    );
    expect(r.body.data?.importThreadMessages.results).toEqual([]);
    forbidden(r.body.data?.importThreadMessages.error, 'thread:import');

    const withAttachment = await gql<{ importThreadMessages: { error: MutationErrorOut } }>(
      emu,
      IMPORT_MESSAGES,
      { input: { threadId, threadMessages: [message({ attachmentIds: [SEED.attachments?.[0]?.id] })] } },
      { key: 'key-without-attachment:create' },
    );
    forbidden(withAttachment.body.data?.importThreadMessages.error, 'attachment:create');
    expect(emu.snapshot().threads[0]?.messages).toEqual([]);
  });

  test.each(['customer:create', 'customer:edit'])('upsertCustomer without %s is FORBIDDEN', async (permission) => {
    const input = { identifier: { emailAddress: 'new@example.com' }, onCreate: { fullName: 'New', email: { email: 'new@example.com', isVerified: false } }, onUpdate: {} };
    const r = await gql<{ upsertCustomer: { customer: unknown; error: MutationErrorOut } }>(emu, UPSERT_CUSTOMER, { input }, { key: `key-without-${permission}` });
    expect(r.body.data?.upsertCustomer.customer).toBeNull();
    forbidden(r.body.data?.upsertCustomer.error, permission);
    expect(emu.snapshot().customers.map((c) => c.email)).not.toContain('new@example.com');
  });

  test.each(['customer:edit', 'customerTenantMembership:create'])('addCustomerToTenants without %s is FORBIDDEN', async (permission) => {
    const input = { customerIdentifier: { customerId: ANN }, tenantIdentifiers: [{ tenantId: ACME }] };
    const r = await gql<{ addCustomerToTenants: { customer: unknown; error: MutationErrorOut } }>(emu, ADD_TO_TENANTS, { input }, { key: `key-without-${permission}` });
    forbidden(r.body.data?.addCustomerToTenants.error, permission);
    expect(emu.snapshot().tenants.find((t) => t.id === ACME)?.customerIds).toEqual([]);
  });

  test.each([
    ['customerByEmail', 'customer:read', '{ customerByEmail(email: "ann@example.com") { id } }'],
    ['customerByExternalId', 'customer:read', '{ customerByExternalId(externalId: "ext-ann") { id } }'],
    ['threadByExternalId', 'thread:read', `{ threadByExternalId(customerId: "${ANN}", externalId: "zd-1") { id } }`],
    ['userByEmail', 'user:read', '{ userByEmail(email: "sara@acme.com") { id } }'],
    ['labelTypes', 'labelType:read', '{ labelTypes { edges { node { id } } } }'],
  ])('query %s without %s is a FORBIDDEN GraphQL error (HTTP 200)', async (field, permission, query) => {
    const r = await gql<Record<string, unknown>>(emu, query, undefined, { key: `key-without-${permission}` });
    expect(r.status).toBe(200);
    const e = firstError(r.body.errors);
    expect(e.extensions?.code).toBe('FORBIDDEN');
    expect(e.message).toContain(permission);
    expect(e.path).toEqual([field]);
    // Nullable fields are null in data; labelTypes is non-null so data itself is null.
    if (field === 'labelTypes') expect(r.body.data).toBeNull();
    else expect(r.body.data).toEqual({ [field]: null });

    const allowed = await gql<Record<string, unknown>>(emu, query);
    expect(allowed.body.errors).toBeUndefined();
  });

  test('myPermissions lists the key’s permissions', async () => {
    const r = await gql<{ myPermissions: { permissions: string[] } }>(emu, '{ myPermissions { permissions } }', undefined, { key: 'key-without-thread:read' });
    expect(r.body.data?.myPermissions.permissions).toContain('thread:import');
    expect(r.body.data?.myPermissions.permissions).not.toContain('thread:read');
  });
});
