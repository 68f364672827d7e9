/**
 * What a target's adapter tells the mapping: how each mapped value becomes the canonical field for
 * that target, or a reason. The mapper evaluates the manifest's expressions and keeps the record's
 * structure (externalIds, times, messages, order); every value whose meaning depends on the target
 * goes through these rules. Each adapter has one (targets/<name>/mapping.ts).
 */
import type { InlineSource } from '../attachments/inline.js';
import type { BodyFormat } from '../attachments/policy.js';
import type { Assignee, Customer, MessageAttachment, MessageAuthor, MessageType } from '../core/model.js';
import type { Reasons } from './rules.js';
import type { IdentityResolver } from './resolve.js';

/** What the rules may ask the mapper: the target's directory, and the agent look-ups it counts. */
export interface RulesContext {
  readonly resolver: IdentityResolver;
  /**
   * A user id for an agent's email. One that does not resolve is counted; with no fallback it gives
   * undefined, and is a reason only where it stands for a message's author (`where: 'message'`): an
   * assignee who cannot be resolved leaves the thread unassigned.
   */
  userByEmail(email: string, path: string, reasons: Reasons, where: 'thread' | 'message'): Promise<string | undefined>;
}

export interface StatusValue {
  readonly status: string;
  readonly statusDetail?: string;
}

/**
 * How `validate --sample`, which never asks the target, words what only plan can check or what the
 * target does on import. Every field is optional: without it the sample words it from `target`.
 */
export interface SampleWording {
  /** What label names the rules look up in the target are (default "label names"): "label type names". */
  readonly labelNames?: string;
  /** Said of the labels a record gives when the rules look none up (default: nothing is said). */
  readonly labels?: string;
  /** Said of an assignee given by email (default "a user by email, looked up in <target> by plan (…unassigned…)"). */
  readonly assigneeByEmail?: string;
  /** Why a message the mapping gives no type takes the type it does, given its author (default: nothing). */
  defaultMessageTypeWhy?(author: unknown): string;
  /** A message type as the target writes it (default: as the canonical thread has it, INBOUND…). */
  messageTypeName?(type: MessageType): string;
}

export interface MappingRules {
  /** The target's name in reasons ("Plain", "There There"). */
  readonly target: string;
  /** How message bodies are written (skip notes are added in the same form). */
  readonly bodies: BodyFormat;
  /** How `validate --sample` words what it cannot check without the target (see SampleWording). */
  readonly sample?: SampleWording;
  /** `threads.title`: the value to send, and a note when it had to be changed (cut to a limit). */
  title(v: unknown, reasons: Reasons): { readonly value: string; readonly note?: string } | undefined;
  /** `threads.status` (and `threads.statusDetail`). */
  status(status: unknown, detail: unknown, reasons: Reasons): StatusValue | undefined;
  /** `threads.closedAt`, given the status; undefined when the target takes none. */
  closedAt(v: unknown, status: StatusValue, reasons: Reasons, now: number): string | undefined;
  /** `threads.priority`; undefined when the target has no priorities. */
  priority(v: unknown, reasons: Reasons): number | undefined | 'invalid';
  /** `threads.labels` → the target's label identifiers, and names to create first. */
  labels(v: unknown, reasons: Reasons, ctx: RulesContext): Promise<{ ids: string[]; create: string[] }>;
  /** `threads.assignee`; undefined: unassigned (or a reason). */
  assignee(v: unknown, reasons: Reasons, ctx: RulesContext): Promise<Assignee | undefined>;
  /** `threads.customer`, and an INBOUND message's author given as a person. */
  customer(v: { email?: unknown; fullName?: unknown; externalId?: unknown }, path: string, reasons: Reasons): Customer | undefined;
  /** `messages.type`, knowing whether the mapping gave an author. */
  messageType(v: unknown, author: unknown, reasons: Reasons): MessageType | undefined;
  /** `messages.author` of an OUTBOUND or NOTE message. */
  agentAuthor(v: unknown, type: MessageType, reasons: Reasons, ctx: RulesContext): Promise<MessageAuthor | undefined>;
  /** A thread-level check of its valid messages (at least one, for a target that imports them together). */
  messageCount(count: number, reasons: Reasons): void;
  /** Why the target would refuse this file (index: its place among the message's files), or null. */
  checkAttachment(a: MessageAttachment, index: number, type: MessageType, maxBytes: number): { readonly message: string } | null;
  /**
   * What an inline image that became the message's `index`-th file leaves in the text: Plain's
   * markdown has no inline files, so a marker; There There's HTML refers to the upload as `cid:`.
   * Returns the text and, when the file must carry one, the contentId the text refers to.
   */
  inlineImage(a: MessageAttachment, index: number, source: InlineSource): { readonly text: string; readonly contentId?: string };
}
