/**
 * A thread's messages, oldest first, sent in batches (importThreadMessages) of at most the target's
 * and the manifest's size. Each message is first made ready (`prepare`: its author's customer
 * upserted, its files carried); the thread's import uses the same for the messages it carries.
 * Messages that fail with a retryable per-message error are sent again.
 */
import { backoffDelay } from '../http/ratelimit.js';
import { attemptsOf } from '../http/runner.js';
import type { BatchingDecl } from '../manifest/types.js';
import type { PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome } from '../state/types.js';
import { TargetError, type MessageToSend } from '../targets/types.js';
import { messageBase, type ApplyContext } from './context.js';
import { DependencyFailed, type Dependencies } from './dependencies.js';
import type { MessageAttachments, PreparedFile } from './message-attachments.js';

/** A message made ready to send (`m` undefined: it failed and was recorded so). */
export interface Prepared {
  readonly p: PlannedMessage;
  readonly m?: MessageToSend;
  readonly files: readonly PreparedFile[];
}

/** The state rows of files a target uploaded as part of the request that carried their message. */
export function filesDone(x: Prepared, messageId: string): ApplyOutcome[] {
  return x.files.map((f) => ({ ...f.base, targetId: `${messageId}/${f.index}`, result: 'CREATED' as const, applied: { sha256: f.local.sha256, size: f.local.size }, attempts: 1 }));
}

/** Removes the temporary files fetched for prepared messages. */
export async function cleanup(prepared: readonly Prepared[]): Promise<void> {
  for (const x of prepared) for (const f of x.files) await f.cleanup();
}

export class MessageBatches {
  constructor(
    private readonly ctx: ApplyContext,
    private readonly deps: Dependencies,
    private readonly attachments: MessageAttachments,
    private readonly batching: Pick<BatchingDecl, 'messagesPerRequest' | 'maxAttempts'>,
  ) {}

  /** Sends the messages to the thread, batch after batch. */
  async send(item: ThreadPlanItem, threadId: string, threadCustomerId: string | undefined, send: readonly PlannedMessage[]): Promise<void> {
    const size = Math.min(this.batching.messagesPerRequest, this.ctx.target.maxMessagesPerCall);
    const pending = [...send];
    while (pending.length > 0) {
      const batch = pending.splice(0, size);
      await this.batch(item, threadId, threadCustomerId, batch);
    }
  }

  /** The author's customer id, for targets whose customers are upserted; agents are sent as they are. */
  private async authorFor(p: PlannedMessage, threadCustomerId: string | undefined): Promise<MessageToSend> {
    const a = p.message.author;
    if (a.kind !== 'customer' || threadCustomerId === undefined) return { message: p.message };
    return { message: p.message, customerId: a.customer ? await this.deps.ensureCustomer(a.customer) : threadCustomerId };
  }

  /**
   * Messages made ready to send: their author's customer upserted and their files carried. A message
   * that cannot be sent is recorded as failed here (its `m` is undefined). The fetched files of
   * 'in-request' uploads stay on disk until `cleanup`.
   */
  async prepare(item: ThreadPlanItem, messages: readonly PlannedMessage[], threadCustomerId: string | undefined): Promise<Prepared[]> {
    const out: Prepared[] = [];
    const failures: ApplyOutcome[] = [];
    for (const p of messages) {
      let m: MessageToSend;
      try {
        m = await this.authorFor(p, threadCustomerId);
      } catch (e) {
        if (!(e instanceof DependencyFailed)) throw e;
        failures.push({ ...messageBase(item, p), error: e.asRecorded('author'), attempts: 0 });
        out.push({ p, files: [] });
        continue;
      }
      const x = await this.attachments.withAttachments(item, p, m, threadCustomerId);
      if ('error' in x) {
        failures.push({ ...messageBase(item, p), error: x.error, attempts: x.attempts });
        out.push({ p, files: x.files });
      } else out.push({ p, m: x.m, files: x.files });
    }
    await this.ctx.commit(failures);
    return out;
  }

  /** One batch; messages that fail with a retryable per-message error are sent again, alone with the other such ones. */
  private async batch(item: ThreadPlanItem, threadId: string, threadCustomerId: string | undefined, batch: PlannedMessage[]): Promise<void> {
    const requests = this.ctx.requests;
    let todo = batch;
    const tries = new Map<string, number>();
    while (todo.length > 0) {
      const prepared = await this.prepare(item, todo, threadCustomerId);
      try {
        const toSend = prepared.filter((x) => x.m !== undefined);
        if (toSend.length === 0) return;
        let results;
        let attempts: number;
        try {
          const r = await requests.call('importThreadMessages', item.address, (signal) =>
            this.ctx.target.importMessages(threadId, toSend.map((s) => s.m!), { signal }),
          );
          results = r.value;
          attempts = r.attempts;
        } catch (e) {
          if (e instanceof TargetError) {
            await this.ctx.commit(toSend.map(({ p }) => ({ ...messageBase(item, p), error: e.recorded, attempts: attemptsOf(e) })));
            return;
          }
          throw e;
        }
        const done: ApplyOutcome[] = [];
        const again: PlannedMessage[] = [];
        toSend.forEach((x, i) => {
          const { p } = x;
          const r = results[i]!;
          const n = (tries.get(p.address) ?? 0) + attempts;
          tries.set(p.address, n);
          if (r.ok) done.push({ ...messageBase(item, p), targetId: r.ack.id, result: r.ack.result, attempts: n }, ...filesDone(x, r.ack.id));
          else if (r.retryable && n < this.batching.maxAttempts && !requests.stopping) again.push(p);
          else done.push({ ...messageBase(item, p), error: r.error, attempts: n });
        });
        await this.ctx.commit(done);
        todo = again;
        if (again.length > 0) {
          const delay = backoffDelay(1, requests.random);
          for (const p of again) {
            const r = results[toSend.findIndex((x) => x.p === p)]!;
            if (!r.ok) this.ctx.emit({ type: 'retry', operation: 'importThreadMessages', address: p.address, attempt: tries.get(p.address) ?? 1, delayMs: delay, error: r.error });
          }
          await requests.sleep(delay);
        }
      } finally {
        await cleanup(prepared);
      }
    }
  }
}
