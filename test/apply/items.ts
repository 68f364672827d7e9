/** Plan items for executor tests: a new thread of n INBOUND messages from one customer. */
import { messageAddress, threadAddress, type Customer, type Message, type Thread } from '../../src/core/model.js';
import { appliedOf } from '../../src/plan/diff.js';
import type { ThreadPlanItem } from '../../src/plan/types.js';

export const customer: Customer = { email: 'ann@example.test', fullName: 'Ann' };

export function msg(i: number, extra: Partial<Message> = {}): Message {
  return { externalId: `m${i}`, type: 'INBOUND', text: `t${i}`, createdAt: new Date(1_700_000_000_000 + i).toISOString(), author: { kind: 'customer' }, ...extra };
}

export function item(id: string, n: number, extra: Partial<Message> = {}): ThreadPlanItem {
  const messages = Array.from({ length: n }, (_, i) => msg(i, extra));
  const thread: Thread = { externalId: id, title: id, createdAt: '2024-01-01T00:00:00.000Z', status: 'DONE', statusDetail: 'DONE_MANUALLY_SET', priority: 2, labelTypeIds: [], customer, messages };
  return {
    kind: 'thread',
    action: 'create',
    address: threadAddress(id),
    thread,
    hash: 'h',
    send: messages.map((m) => ({ message: m, address: messageAddress(id, m.externalId), hash: m.externalId })),
    recordedMessages: 0,
    desired: appliedOf(thread),
    updates: [],
    conflicts: [],
    frozen: [],
    changedMessages: [],
    orphanMessages: [],
    newCustomers: [customer],
    invalidMessages: [],
    notes: [],
    newLabelTypes: [],
    newTenants: [],
    newMemberships: [],
  };
}
