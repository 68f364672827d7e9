import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { ACME, ADD_TO_TENANTS, ANN, BOB, GLOBEX, gql, onlyField, SEED, upsertCustomer, type CustomerOut, type MutationErrorOut } from './helpers.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

const create = (identifier: Record<string, unknown>, onCreate: Record<string, unknown> = {}, onUpdate: Record<string, unknown> = {}) => ({
  identifier,
  onCreate: { fullName: 'Cat New', email: { email: 'cat@example.com', isVerified: true }, ...onCreate },
  onUpdate,
});

describe('upsertCustomer', () => {
  test('creates an unknown customer: CREATED with a c_ id, then NOOP, then UPDATED', async () => {
    const r = await upsertCustomer(emu, create({ emailAddress: 'cat@example.com' }, { externalId: 'ext-cat' }));
    expect(r.error).toBeNull();
    expect(r.result).toBe('CREATED');
    expect(r.customer).toMatchObject({ externalId: 'ext-cat', fullName: 'Cat New', email: { email: 'cat@example.com', isVerified: true } });
    expect(r.customer?.id).toMatch(/^c_[0-9A-HJKMNP-TV-Z]{26}$/);

    const again = await upsertCustomer(emu, create({ externalId: 'ext-cat' }));
    expect(again.result).toBe('NOOP');
    expect(again.customer?.id).toBe(r.customer?.id);

    const same = await upsertCustomer(emu, create({ emailAddress: 'cat@example.com' }, {}, { fullName: { value: 'Cat New' } }));
    expect(same.result).toBe('NOOP');

    const renamed = await upsertCustomer(emu, create({ customerId: r.customer?.id }, {}, { fullName: { value: 'Cat Renamed' } }));
    expect(renamed.result).toBe('UPDATED');
    expect(renamed.customer?.fullName).toBe('Cat Renamed');
    expect(emu.snapshot().customers.find((c) => c.id === r.customer?.id)).toEqual({ id: r.customer?.id, email: 'cat@example.com', fullName: 'Cat Renamed', externalId: 'ext-cat' });
  });

  test('an externalId identifier becomes the new customer’s externalId when onCreate has none', async () => {
    const r = await upsertCustomer(emu, create({ externalId: 'ext-dan' }, { email: { email: 'dan@example.com', isVerified: false }, fullName: 'Dan' }));
    expect(r.result).toBe('CREATED');
    expect(r.customer?.externalId).toBe('ext-dan');
  });

  test.each([
    ['none', {}],
    ['two', { emailAddress: 'ann@example.com', externalId: 'ext-ann' }],
    ['three', { emailAddress: 'ann@example.com', externalId: 'ext-ann', customerId: ANN }],
  ])('the identifier must name exactly one field (%s is a VALIDATION error)', async (_name, identifier) => {
    const r = await upsertCustomer(emu, create(identifier));
    expect(r.customer).toBeNull();
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r.error)).toMatchObject({ field: 'identifier', type: 'VALIDATION' });
  });

  test('onCreate.fullName and onCreate.email are required and must not be blank after trimming', async () => {
    const r = await upsertCustomer(emu, create({ emailAddress: 'cat@example.com' }, { fullName: '   ', email: { email: ' ', isVerified: false } }));
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(r.error?.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'onCreate.fullName', type: 'REQUIRED' }),
        expect.objectContaining({ field: 'onCreate.email', type: 'REQUIRED' }),
      ]),
    );
    expect(emu.snapshot().customers).toHaveLength(2);
  });

  test('an invalid email address is a VALIDATION field error', async () => {
    const r = await upsertCustomer(emu, create({ externalId: 'ext-x' }, { email: { email: 'not-an-email', isVerified: false } }));
    expect(onlyField(r.error)).toMatchObject({ field: 'onCreate.email', type: 'VALIDATION' });
  });

  test('creating with an email that another customer has is customer_already_exists_with_email', async () => {
    const r = await upsertCustomer(emu, create({ externalId: 'ext-new' }, { email: { email: 'ANN@example.com', isVerified: false } }));
    expect(r.customer).toBeNull();
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'customer_already_exists_with_email' });
  });

  test('creating with an externalId that another customer has is customer_already_exists_with_external_id', async () => {
    const r = await upsertCustomer(emu, create({ emailAddress: 'cat@example.com' }, { externalId: 'ext-ann' }));
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'customer_already_exists_with_external_id' });
    expect(emu.snapshot().customers).toHaveLength(2);
  });

  test('updating to another customer’s email is customer_already_exists_with_email', async () => {
    const r = await upsertCustomer(emu, create({ customerId: BOB }, {}, { email: { email: 'ann@example.com', isVerified: true } }));
    expect(r.error?.code).toBe('customer_already_exists_with_email');
    expect(emu.snapshot().customers.find((c) => c.id === BOB)?.email).toBe('bob@example.com');
  });

  test('a customerId identifier only updates: an unknown id is NOT_FOUND and creates nothing', async () => {
    const r = await upsertCustomer(emu, create({ customerId: 'c_01J0000000000000000000000Z' }));
    expect(r.error).toMatchObject({ type: 'VALIDATION' });
    expect(onlyField(r.error)).toMatchObject({ field: 'identifier.customerId', type: 'NOT_FOUND' });
    expect(emu.snapshot().customers).toHaveLength(2);
  });

  test('onUpdate can set and clear the externalId', async () => {
    const set = await upsertCustomer(emu, create({ customerId: BOB }, {}, { externalId: { value: 'ext-bob' } }));
    expect(set.result).toBe('UPDATED');
    expect(set.customer?.externalId).toBe('ext-bob');
    const byExt = await gql<{ customerByExternalId: CustomerOut | null }>(emu, '{ customerByExternalId(externalId: "ext-bob") { id externalId fullName email { email isVerified } } }');
    expect(byExt.body.data?.customerByExternalId?.id).toBe(BOB);
    const cleared = await upsertCustomer(emu, create({ customerId: BOB }, {}, { externalId: { value: null } }));
    expect(cleared.customer?.externalId).toBeNull();
    const gone = await gql<{ customerByExternalId: CustomerOut | null }>(emu, '{ customerByExternalId(externalId: "ext-bob") { id } }');
    expect(gone.body.data?.customerByExternalId).toBeNull();
  });
});

describe('customer queries', () => {
  test('customerByEmail and customerByExternalId find seeded customers and return null when unknown', async () => {
    const q = '{ a: customerByEmail(email: "ann@example.com") { id externalId fullName email { email isVerified } } b: customerByEmail(email: "nobody@example.com") { id } c: customerByExternalId(externalId: "ext-ann") { id } d: customerByExternalId(externalId: "nope") { id } }';
    const r = await gql<{ a: CustomerOut; b: null; c: { id: string }; d: null }>(emu, q);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({
      a: { id: ANN, externalId: 'ext-ann', fullName: 'Ann Example', email: { email: 'ann@example.com', isVerified: false } },
      b: null,
      c: { id: ANN },
      d: null,
    });
  });
});

describe('addCustomerToTenants', () => {
  interface Out {
    addCustomerToTenants: { customer: { id: string; tenantMemberships: { edges: { node: { tenant: { id: string } } }[] } } | null; error: MutationErrorOut | null };
  }
  test('adds memberships by tenant id or externalId; repeating is a no-op', async () => {
    const input = { customerIdentifier: { emailAddress: 'ann@example.com' }, tenantIdentifiers: [{ tenantId: ACME }, { externalId: 'org-globex' }] };
    const r = await gql<Out>(emu, ADD_TO_TENANTS, { input });
    expect(r.body.data?.addCustomerToTenants.error).toBeNull();
    expect(r.body.data?.addCustomerToTenants.customer?.tenantMemberships.edges.map((e) => e.node.tenant.id)).toEqual([ACME, GLOBEX]);
    const again = await gql<Out>(emu, ADD_TO_TENANTS, { input });
    expect(again.body.data?.addCustomerToTenants.error).toBeNull();
    expect(emu.snapshot().tenants.map((t) => t.customerIds)).toEqual([[ANN], [ANN]]);
  });

  test('an unknown customer or tenant is a VALIDATION error with NOT_FOUND fields and changes nothing', async () => {
    const r1 = await gql<Out>(emu, ADD_TO_TENANTS, { input: { customerIdentifier: { externalId: 'nope' }, tenantIdentifiers: [{ tenantId: ACME }] } });
    expect(onlyField(r1.body.data?.addCustomerToTenants.error ?? null)).toMatchObject({ field: 'customerIdentifier', type: 'NOT_FOUND' });
    const r2 = await gql<Out>(emu, ADD_TO_TENANTS, { input: { customerIdentifier: { customerId: ANN }, tenantIdentifiers: [{ tenantId: ACME }, { externalId: 'org-nope' }] } });
    expect(r2.body.data?.addCustomerToTenants.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r2.body.data?.addCustomerToTenants.error ?? null)).toMatchObject({ type: 'NOT_FOUND' });
    expect(emu.snapshot().tenants.every((t) => t.customerIds.length === 0)).toBe(true);
  });
});
