/**
 * The one place that knows which targets exist: a manifest's `target:` kind → its adapter (mapping
 * rules, declared capabilities, and the client that talks to it). Plan and apply ask this for what
 * they need and never name a target themselves.
 */
import type { TargetDecl } from '../manifest/types.js';
import type { MappingRules } from '../mapping/target-rules.js';
import { PLAIN_CAPABILITIES, PlainTarget } from './plain/client.js';
import { PLAIN_RULES } from './plain/mapping.js';
import { THERETHERE_CAPABILITIES, ThereThereTarget } from './therethere/target.js';
import { THERETHERE_RULES } from './therethere/mapping.js';
import type { Target, TargetCapabilities } from './types.js';

export interface TargetAdapter {
  readonly rules: MappingRules;
  readonly capabilities: TargetCapabilities;
  /** Where it is, as printed in headers and plan files (never a key). */
  readonly endpoint: string;
  create(o: { readonly requestTimeoutMs: number }): Target;
}

/** Thread fields of the manifest that a target has nothing to carry to, with why (a manifest error). */
export const UNSUPPORTED_THREAD_FIELDS: Readonly<Record<TargetDecl['kind'], Readonly<Record<string, string>>>> = {
  plain: {
    closedAt: "Plain's import takes no closing time (a DONE thread is closed)",
  },
  therethere: {
    priority: 'There There tickets have no priority (map it to a tag if you need it)',
    statusDetail: "There There's status has no detail",
    description: "There There's import takes no description",
    externalUrl: "There There's import takes no external URL (put a link in a note or a tag)",
    tenant: 'There There has no tenants',
    fields: 'There There has no thread fields (map them to tags if you need them)',
  },
};

export function adapterFor(decl: TargetDecl): TargetAdapter {
  switch (decl.kind) {
    case 'plain':
      return {
        rules: PLAIN_RULES,
        capabilities: PLAIN_CAPABILITIES,
        endpoint: decl.endpoint,
        create: (o) => new PlainTarget({ endpoint: decl.endpoint, apiKey: decl.apiKey, requestTimeoutMs: o.requestTimeoutMs }),
      };
    case 'therethere':
      return {
        rules: THERETHERE_RULES,
        capabilities: THERETHERE_CAPABILITIES(decl.appendAs),
        endpoint: decl.baseUrl,
        create: (o) =>
          new ThereThereTarget({
            baseUrl: decl.baseUrl,
            token: decl.token,
            channel: decl.channel,
            appendAs: decl.appendAs,
            requestTimeoutMs: o.requestTimeoutMs,
            ...(decl.workspaceId !== undefined ? { workspaceId: decl.workspaceId } : {}),
          }),
      };
  }
}
