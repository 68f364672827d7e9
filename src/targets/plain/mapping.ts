/** Plain's mapping rules (MANIFEST.md's thread and message fields): the checks of mapping/rules.ts. */
import { checkAttachment, IMAGE_MARKER } from '../../attachments/index.js';
import type { Assignee, MessageAuthor } from '../../core/model.js';
import {
  assigneeOf,
  customerOf,
  isPlainId,
  labelsOf,
  messageTypeOf,
  priorityOf,
  requiredString,
  statusOf,
  userOf,
} from '../../mapping/rules.js';
import type { MappingRules } from '../../mapping/target-rules.js';

export const PLAIN_RULES: MappingRules = {
  target: 'Plain',
  bodies: 'text',
  sample: {
    labelNames: 'label type names',
    defaultMessageTypeWhy: (author) => (typeof author === 'string' && author.startsWith('u_') ? 'the author is a user' : 'no user author'),
  },
  title(v, reasons) {
    const value = requiredString(v, 'threads.title', reasons);
    return value === undefined ? undefined : { value };
  },
  status: (status, detail, reasons) => statusOf(status, detail, reasons),
  closedAt: () => undefined,
  priority(v, reasons) {
    return priorityOf(v, reasons) ?? 'invalid';
  },
  /** Label type ids as they are; names looked up (or planned for creation). */
  async labels(v, reasons, ctx) {
    const ids: string[] = [];
    const create: string[] = [];
    for (const l of labelsOf(v, reasons)) {
      const a = isPlainId(l, 'lt') ? { id: l } : await ctx.resolver.labelType(l);
      if ('id' in a) {
        if (!ids.includes(a.id)) ids.push(a.id);
      } else if ('create' in a) {
        if (!create.includes(a.create)) create.push(a.create);
      } else reasons.push(`threads.labels: ${a.reason}`);
    }
    return { ids, create };
  },
  async assignee(v, reasons, ctx): Promise<Assignee | undefined> {
    const a = assigneeOf(v, reasons);
    if (!a || !('email' in a)) return a;
    const id = await ctx.userByEmail(a.email, 'threads.assignee', reasons, 'thread');
    return id === undefined ? undefined : { userId: id };
  },
  customer: customerOf,
  messageType(v, author, reasons) {
    const hasUser = typeof author === 'string' && author.startsWith('u_');
    return messageTypeOf(v, hasUser, reasons);
  },
  async agentAuthor(v, _type, reasons, ctx): Promise<MessageAuthor | undefined> {
    const u = userOf(v, 'messages.author', reasons);
    const userId = u && 'email' in u ? await ctx.userByEmail(u.email, 'messages.author', reasons, 'message') : u?.userId;
    return userId ? { kind: 'user', userId } : undefined;
  },
  messageCount: () => undefined,
  checkAttachment: (a, _index, type, maxBytes) => checkAttachment(a, { maxBytes, messageType: type }),
  inlineImage: IMAGE_MARKER,
};
