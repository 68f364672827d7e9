/**
 * The plan's view of the target's directory (the IdentityResolver the mapping asks): label types by
 * name, users by email and thread field schemas by key. Nothing is read until a mapping needs it;
 * then label types and field schemas are read once (all pages), and each email once with
 * `userByEmail`. Users found are remembered in state, so later plans ask again only for the emails
 * they have not seen. Requests go through a RequestRunner: rate-limited and retried like apply's.
 */
import { PmError } from '../core/errors.js';
import { labelTypeAddress } from '../core/model.js';
import type { IdentityResolver, FieldSchemaAnswer, LabelTypeAnswer, UserAnswer } from '../mapping/resolve.js';
import { EMAIL, isPlainId } from '../mapping/rules.js';
import type { Manifest } from '../manifest/types.js';
import { RequestRunner, Stopped } from '../http/runner.js';
import type { StateStore } from '../state/types.js';
import { TargetError, type LabelTypeInfo, type Target, type ThreadFieldSchemaInfo } from '../targets/types.js';

export interface TargetIdentitiesOptions {
  readonly manifest: Manifest;
  /** Made on first use: a manifest that names nothing by email or name never needs the target at plan time. */
  readonly target: () => Target;
  readonly state: StateStore;
  readonly signal?: AbortSignal;
  /** The target's name in reasons ("Plain", "There There"): its capabilities' displayName. */
  readonly displayName: string;
}

export class TargetIdentities implements IdentityResolver {
  private runner?: RequestRunner;
  private t?: Target;
  private labelTypes?: Promise<Map<string, LabelTypeInfo[]>>;
  private schemas?: Promise<Map<string, ThreadFieldSchemaInfo>>;
  private readonly users = new Map<string, Promise<UserAnswer>>();
  private readonly createMissing: boolean;
  /** The target's name in reasons. */
  private readonly name: string;
  private readonly agentsDefault: unknown;
  /** Label type names planned for creation (createMissingLabelTypes). */
  readonly labelTypesToCreate = new Set<string>();

  constructor(private readonly o: TargetIdentitiesOptions) {
    const t = o.manifest.target;
    this.createMissing = 'createMissingLabelTypes' in t && !!t.createMissingLabelTypes;
    this.name = o.displayName;
    const agents = o.manifest.tables.agents;
    this.agentsDefault = agents?.hasDefault ? agents.defaultValue : undefined;
  }

  /** Requests sent so far, by operation. */
  requestCounts(): Record<string, number> {
    return this.t?.requestCounts() ?? {};
  }

  private call<T>(operation: string, fn: (t: Target, signal: AbortSignal) => Promise<T>): Promise<T> {
    if (!this.t) {
      this.t = this.o.target();
      const signal = this.o.signal ?? new AbortController().signal;
      const { batching } = this.o.manifest;
      this.runner = new RequestRunner({
        target: this.t,
        requestsPerMinute: batching.requestsPerMinute,
        maxAttempts: batching.maxAttempts,
        stop: signal,
        cancel: signal,
        emit: () => undefined,
      });
    }
    const t = this.t;
    return this.runner!.call(operation, operation, (signal) => fn(t, signal)).then(
      (r) => r.value,
      (e: unknown) => {
        if (e instanceof TargetError) {
          const permission = t.capabilities.lookupPermissions?.[operation];
          throw new PmError('plan.lookup-failed', `the plan could not read ${LOOKUPS[operation] ?? operation} from ${this.name}: ${e.recorded.message}`, {
            hint: /forbidden|unauthenticated/i.test(e.recorded.code)
              ? `check the credential in target.${this.o.manifest.target.kind}${permission ? `: it needs ${permission}` : ''}`
              : `check target.${this.o.manifest.target.kind}'s address and the network, then plan again`,
          });
        }
        if (e instanceof Stopped) throw new PmError('plan.interrupted', 'the plan was interrupted');
        throw e;
      },
    );
  }

  async labelNames(): Promise<readonly string[]> {
    const byName = await this.labelTypeMap();
    return [...new Set([...byName.values()].flat().map((l) => l.name))];
  }

  private labelTypeMap(): Promise<Map<string, LabelTypeInfo[]>> {
    this.labelTypes ??= this.call('labelTypes', (t, signal) => t.listLabelTypes({ signal })).then((all) => {
      const byName = new Map<string, LabelTypeInfo[]>();
      for (const l of all) {
        if (l.archived) continue;
        for (const k of [l.name, l.name.toLowerCase()]) {
          const list = byName.get(k) ?? [];
          if (!list.includes(l)) list.push(l);
          byName.set(k, list);
        }
      }
      return byName;
    });
    return this.labelTypes;
  }

  async labelType(name: string): Promise<LabelTypeAnswer> {
    const byName = await this.labelTypeMap();
    // An exact match first; else a case-insensitive one when it is the only one.
    const exact = byName.get(name);
    if (exact && exact.length > 0) return { id: exact[0]!.id };
    const loose = byName.get(name.toLowerCase());
    if (loose && loose.length === 1) return { id: loose[0]!.id };
    if (loose && loose.length > 1) {
      return { reason: `label type name ${JSON.stringify(name)} matches ${loose.map((l) => JSON.stringify(l.name)).join(', ')} in Plain, only by case; use the exact name or an lt_ id` };
    }
    // One this migration created (and Plain does not list by that name, e.g. a rehearsal emulator started afresh).
    const created = await this.o.state.get(labelTypeAddress(name));
    if (created?.status === 'applied' && created.targetId) return { id: created.targetId };
    if (this.createMissing) {
      this.labelTypesToCreate.add(name);
      return { create: name };
    }
    return {
      reason: `no label type named ${JSON.stringify(name)} in Plain (archived ones do not count); create it, map the value to an lt_ id, or set target.plain.createMissingLabelTypes: true`,
    };
  }

  user(email: string): Promise<UserAnswer> {
    const key = email.toLowerCase();
    let p = this.users.get(key);
    if (!p) {
      p = this.lookUpUser(key);
      this.users.set(key, p);
    }
    return p;
  }

  private async lookUpUser(email: string, fallback = true): Promise<UserAnswer> {
    const known = await this.o.state.identity('user', email);
    if (known) return { id: known };
    const u = await this.call('userByEmail', (t, signal) => t.userByEmail(email, { signal }));
    if (u && !u.isDeleted) {
      await this.o.state.rememberIdentity('user', email, u.id);
      return { id: u.id };
    }
    const reason = u ? `${email} is a deleted ${this.name} user` : `${email} is not a ${this.name} user`;
    if (!fallback) return { reason };
    const d = this.agentsDefault;
    if (typeof d === 'string' && isPlainId(d, 'u')) return { id: d, fallbackFor: reason };
    if (typeof d === 'string' && EMAIL.test(d) && d.toLowerCase() !== email) {
      const via = await this.lookUpUser(d.toLowerCase(), false);
      if ('id' in via) return { id: via.id, fallbackFor: reason };
      return { reason: `${reason}, and the agents table's _default ${via.reason.replace(/^\S+ is /, `${d} is `)}` };
    }
    return { reason };
  }

  async fieldSchema(key: string): Promise<FieldSchemaAnswer> {
    this.schemas ??= this.call('threadFieldSchemas', (t, signal) => t.listThreadFieldSchemas({ signal })).then(
      (all) => new Map(all.map((s) => [s.key, s])),
    );
    const all = await this.schemas;
    const s = all.get(key);
    if (s) return { type: s.type, enumValues: s.enumValues };
    const known = [...all.keys()].sort();
    return {
      reason: `the workspace has no thread field with key ${JSON.stringify(key)} (${known.length > 0 ? `it has ${known.join(', ')}` : 'it has none'}); create it in Plain's settings first`,
    };
  }
}

/** What each look-up reads (the permission it needs is the target's: TargetCapabilities.lookupPermissions). */
const LOOKUPS: Readonly<Record<string, string>> = {
  labelTypes: 'the label types',
  userByEmail: 'a user by email',
  threadFieldSchemas: 'the thread field schemas',
};
