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
  /** A Plain user by email; an unknown or deleted one takes the agents table's `_default` when there is one. */
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

/** Agents given by email that did not resolve to a Plain user, counted across a plan. */
export interface UnresolvedAgent {
  readonly email: string;
  /** Why: not a Plain user, or a deleted one. */
  readonly reason: string;
  /** The user id used instead (the agents table's _default), or null: the records were invalid. */
  readonly fallback: string | null;
  threads: number;
  messages: number;
}
