/** There There's mapping rules (MANIFEST.md's "There There target" table), built on rules.ts. */
import type { Assignee, MessageAuthor, MessageType } from '../../core/model.js';
import { escapeHtmlAttribute } from '../../core/html.js';
import type { MappingRules } from '../../mapping/target-rules.js';
import {
  assigneeOf,
  authorOf,
  checkAttachment,
  closedAtOf,
  contactOf,
  messageCountOf,
  messageTypeOf,
  statusOf,
  subjectOf,
  tagsOf,
  type ThereThereMessageType,
  type TicketStatus,
} from './rules.js';

/** The contentId an inline image's file gets: the adapter turns `cid:` + it into `cid:` + the upload token. */
export const INLINE_CONTENT_ID = (index: number): string => `plain-migrate-inline-${index}`;


export const lowerType = (t: MessageType): ThereThereMessageType => t.toLowerCase() as ThereThereMessageType;

export const THERETHERE_RULES: MappingRules = {
  target: 'There There',
  bodies: 'html',
  sample: {
    labels: 'tag names (There There creates missing ones on import)',
    assigneeByEmail: 'a member by email, checked by plan (one who is not a member leaves the ticket unassigned; plan lists them)',
    defaultMessageTypeWhy: (author) => (author === undefined || author === null || author === '' ? 'no author' : 'the message has an author'),
    messageTypeName: lowerType,
  },
  title(v, reasons) {
    const s = subjectOf(v, reasons);
    return s === undefined ? undefined : { value: s.value, ...(s.diagnostic ? { note: s.diagnostic } : {}) };
  },
  status(status, _detail, reasons) {
    const s = statusOf(status, reasons);
    return s === undefined ? undefined : { status: s };
  },
  closedAt: (v, status, reasons, now) => closedAtOf(v, status.status as TicketStatus, reasons, now),
  priority: () => undefined,
  async labels(v, reasons) {
    return { ids: tagsOf(v, reasons), create: [] };
  },
  /** A member's email; checked against the workspace's members by the plan (There There would ignore a stranger). */
  async assignee(v, reasons, ctx): Promise<Assignee | undefined> {
    const email = assigneeOf(v, reasons);
    if (email === undefined) return undefined;
    const member = await ctx.userByEmail(email, 'threads.assignee', reasons, 'thread');
    return member === undefined ? undefined : { email: member };
  },
  customer(v, path, reasons) {
    const c = contactOf(v, path, reasons);
    return c === undefined ? undefined : { email: c.email, fullName: c.name ?? '' };
  },
  messageType(v, author, reasons) {
    const t = messageTypeOf(v, !(author === undefined || author === null || author === ''), reasons);
    return t === undefined ? undefined : (t.toUpperCase() as MessageType);
  },
  /** Agents who left keep their email and name on the message: no look-up, nobody is made a member. */
  async agentAuthor(v, type, reasons): Promise<MessageAuthor | undefined> {
    const a = authorOf(v, lowerType(type), reasons);
    if (!a) return undefined;
    return { kind: 'agent', email: a.email, ...(a.name !== undefined ? { name: a.name } : {}) };
  },
  messageCount(count, reasons) {
    messageCountOf(count, reasons);
  },
  checkAttachment: (a, index, _type, maxBytes) => checkAttachment(a, { maxBytes, index }),
  // The <img> tag is kept as the export had it (alt, size, style), pointing at the file; a markdown
  // image becomes a tag with its alt text.
  inlineImage(a, index, source) {
    const contentId = INLINE_CONTENT_ID(index);
    const src = `cid:${contentId}`;
    if (source.withSrc) return { text: source.withSrc(src), contentId };
    const alt = source.alt !== undefined && source.alt !== '' ? source.alt : a.fileName;
    return { text: `<img src="${src}" alt="${escapeHtmlAttribute(alt)}">`, contentId };
  },
};
