/** An emulator snapshot without the ids Plain generates, so that two runs can be compared. */
interface Snap {
  customers: Array<{ id: string; email: string; fullName: string; externalId: string | null }>;
  threads: Array<{
    id: string;
    externalId: string;
    customerId: string;
    title: string;
    externalUrl: string | null;
    status: string;
    statusDetail: string | null;
    priority: number;
    labelTypeIds: string[];
    assignedTo: unknown;
    createdAt: string;
    messages: Array<{ externalId: string; type: string; text: string; createdAt: string; author: { customerId?: string; userId?: string } }>;
  }>;
}

export function normalize(s: Snap) {
  const email = new Map(s.customers.map((c) => [c.id, c.email]));
  return {
    customers: s.customers.map((c) => ({ email: c.email, fullName: c.fullName, externalId: c.externalId })).sort((a, b) => a.email.localeCompare(b.email)),
    threads: s.threads
      .map((t) => ({
        externalId: t.externalId,
        customer: email.get(t.customerId),
        title: t.title,
        externalUrl: t.externalUrl,
        status: t.status,
        statusDetail: t.statusDetail,
        priority: t.priority,
        labelTypeIds: [...t.labelTypeIds].sort(),
        assignedTo: t.assignedTo,
        createdAt: t.createdAt,
        messages: t.messages.map((m) => ({
          externalId: m.externalId,
          type: m.type,
          text: m.text,
          createdAt: m.createdAt,
          author: m.author.customerId ? { customer: email.get(m.author.customerId) } : { userId: m.author.userId },
        })),
      }))
      .sort((a, b) => a.externalId.localeCompare(b.externalId)),
  };
}
