/**
 * What the mapping asks the target's directory while it builds a thread: label type names → ids,
 * agents' emails → user ids, thread field keys → their schema. The plan supplies an implementation
 * that reads the target (plan/identities.ts); displays that never talk to the target (validate
 * --sample) use PASSTHROUGH, which keeps names and emails as they are.
 */
import type { ThreadFieldType } from '../core/model.js';

export type LabelTypeAnswer = { readonly id: string } | { readonly create: string } | { readonly reason: string };
export type UserAnswer = { readonly id: string; readonly fallbackFor?: string } | { readonly reason: string };
export type FieldSchemaAnswer = { readonly type: ThreadFieldType; readonly enumValues: readonly string[] } | { readonly reason: string };

export interface IdentityResolver {
  /** A label type by name (archived ones do not count). */
  labelType(name: string): Promise<LabelTypeAnswer>;
  /**
   * A user by email; an unknown or deleted one takes the agents table's `_default` when there is one.
   * A reason says who the email is not ("gone@acme.test is not a Plain user"), not what to do: what
   * follows depends on where the email stood (an assignee is dropped, an author fails its message).
   */
  user(email: string): Promise<UserAnswer>;
  /** The workspace's thread field schema for a key. */
  fieldSchema(key: string): Promise<FieldSchemaAnswer>;
  /** Every label name of the workspace (archived ones do not count), read once. */
  labelNames?(): Promise<readonly string[]>;
}

export const PASSTHROUGH: IdentityResolver = {
  labelType: async (name) => ({ id: name }),
  user: async (email) => ({ id: email }),
  fieldSchema: async () => ({ reason: 'thread fields are checked against the workspace by plan' }),
};

/**
 * Agents given by email that did not resolve to a user of the target (people who left, mostly),
 * counted across a plan. Without a fallback, the threads they were assigned are imported unassigned
 * and the messages they wrote are invalid (a message needs an author).
 */
export interface UnresolvedAgent {
  readonly email: string;
  /** Why: not a user of the target, or a deleted one (and, when it did not help, why the _default did not either). */
  readonly reason: string;
  /** The user used instead (the agents table's _default), or null: nobody. */
  readonly fallback: string | null;
  /** Threads it is the assignee of. */
  threads: number;
  /** Messages it is the author of. */
  messages: number;
}

/** The hint of a message whose author is an agent that did not resolve. */
export const AUTHOR_HINT = 'a message needs an author: add a row for it to the agents table, or give the table a _default';
