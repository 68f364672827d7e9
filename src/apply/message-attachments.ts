/**
 * A message's files, carried to the target: each fetched to a temporary file, then either uploaded
 * on its own and recorded per file ('separate' uploads, reused on a resumed apply while the target
 * keeps them) or handed to the request that sends the message ('in-request' uploads). A file that
 * cannot be carried is left out with a note in the text, or fails the message.
 */
import { AttachmentError, attachmentTypeFor, DEFAULT_MAX_BYTES, fetchToTempFile, skipNote, uploadToForm, withSkipNotes } from '../attachments/index.js';
import { hashOf } from '../core/hash.js';
import { attachmentAddress, type MessageAttachment } from '../core/model.js';
import { backoffDelay } from '../http/ratelimit.js';
import { attemptsOf, Stopped } from '../http/runner.js';
import type { AttachmentsDecl } from '../manifest/types.js';
import type { PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { RecordedError } from '../state/types.js';
import { TargetError, type LocalFile, type MessageToSend } from '../targets/types.js';
import type { ApplyContext } from './context.js';

export interface AttachmentOptions extends Partial<AttachmentsDecl> {
  /** Relative attachment paths are inside this directory (the manifest's). */
  readonly manifestDir: string;
  /** Per fetch and per upload. */
  readonly timeoutMs: number;
}

/** An uploaded file is reused only while Plain keeps it unreferenced (24 h), with an hour to spare. */
const UPLOAD_REUSE_MS = 23 * 60 * 60 * 1000;

/** A file fetched for a target that uploads it with the request ('in-request'). */
export interface PreparedFile {
  readonly base: { address: string; kind: 'attachment'; parent: string; externalId: string; inputHash: string };
  readonly index: number;
  readonly local: LocalFile;
  readonly cleanup: () => Promise<void>;
}

/** A file that could not be carried: why, for the run's events, and the cause, for the note in the text. */
interface Skipped {
  readonly reason: string;
  readonly cause: AttachmentError | string;
}

export class MessageAttachments {
  constructor(
    private readonly ctx: ApplyContext,
    /** Where message attachments come from (needed when messages have attachments). */
    private readonly options: AttachmentOptions | undefined,
    private readonly maxAttempts: number,
    /** Aborted: cancel fetches and uploads in flight. */
    private readonly cancel: AbortSignal,
  ) {}

  /**
   * A message's files. 'separate' uploads: each uploaded just before the batch that references it,
   * fetched to a temporary file, given an upload URL under the thread's customer, posted, and recorded
   * per file, so that a resumed apply reuses an upload (while the target keeps it) instead of sending
   * it twice. 'in-request' uploads: fetched only; the target uploads them with every attempt of the
   * request. A file that cannot be carried is left out with a line in the text (attachments.onSkip:
   * note) or fails the message (onSkip: fail).
   */
  async withAttachments(
    item: ThreadPlanItem,
    p: PlannedMessage,
    m: MessageToSend,
    customerId: string | undefined,
  ): Promise<{ m: MessageToSend; files: PreparedFile[] } | { error: RecordedError; attempts: number; files: PreparedFile[] }> {
    const specs = p.message.attachments ?? [];
    if (specs.length === 0) return { m, files: [] };
    const inRequest = this.ctx.target.capabilities.uploads === 'in-request';
    const ids: string[] = [];
    const files: PreparedFile[] = [];
    const notes: string[] = [];
    let attempts = 0;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const r = inRequest ? await this.fetchFile(item, p, spec, i) : await this.upload(item, p, spec, i, customerId);
      attempts += r.attempts;
      if ('local' in r) files.push(r);
      else if ('id' in r) ids.push(r.id);
      else if (this.options?.onSkip === 'fail') {
        return { error: { code: 'attachment_failed', message: `attachment ${spec.fileName}: ${r.reason} (attachments.onSkip: fail)`, type: 'ATTACHMENT' }, attempts, files };
      } else {
        // The note in the target names the file and a fixed phrase for the cause, never a URL (they can carry tokens).
        notes.push(skipNote(spec.fileName, r.cause));
        this.ctx.emit({ type: 'not-applied', address: p.address, reason: `attachment ${spec.fileName} skipped: ${r.reason}` });
      }
    }
    const text = withSkipNotes(p.message.text, notes, this.ctx.target.capabilities.bodies);
    const message = { ...p.message, text };
    return inRequest ? { m: { ...m, message, files: files.map((f) => f.local) }, files } : { m: { ...m, message, attachmentIds: ids }, files };
  }

  /** The largest file this message may carry: the target's limit for its type and the manifest's. */
  private maxBytes(p: PlannedMessage): number {
    return this.ctx.target.capabilities.maxFileBytes(p.message.type, this.options?.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** A file fetched to a temporary file for a target that uploads it with its request. */
  private async fetchFile(item: ThreadPlanItem, p: PlannedMessage, spec: MessageAttachment, index: number): Promise<(PreparedFile | Skipped) & { attempts: number }> {
    const address = attachmentAddress(item.thread.externalId, p.message.externalId, index);
    const base = { address, kind: 'attachment' as const, parent: p.address, externalId: `${p.message.externalId}/${index}`, inputHash: hashOf(spec) };
    const opts = this.options;
    if (!opts) throw new Error('apply: messages have attachments but no attachment options were given');
    let attempts = 0;
    try {
      const fetched = await this.retrying(address, () => {
        attempts++;
        return fetchToTempFile(spec, { manifestDir: opts.manifestDir, fetchRules: opts.fetch, maxBytes: this.maxBytes(p), timeoutMs: opts.timeoutMs, signal: this.cancel });
      });
      const local: LocalFile = {
        path: fetched.file,
        size: fetched.size,
        sha256: fetched.sha256,
        fileName: spec.fileName,
        ...(spec.contentType !== undefined ? { contentType: spec.contentType } : {}),
        ...(spec.inline !== undefined ? { inline: spec.inline } : {}),
        ...(spec.contentId !== undefined ? { contentId: spec.contentId } : {}),
      };
      return { base, index, local, cleanup: fetched.cleanup, attempts };
    } catch (e) {
      if (e instanceof AttachmentError && e.code === 'aborted') throw new Stopped();
      if (e instanceof AttachmentError) {
        await this.ctx.commit([{ ...base, error: { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' }, attempts }]);
        return { reason: e.message, cause: e, attempts };
      }
      throw e;
    }
  }

  /** A file uploaded on its own ('separate'), or the upload a run recorded for it while still usable. */
  private async upload(
    item: ThreadPlanItem,
    p: PlannedMessage,
    spec: MessageAttachment,
    index: number,
    customerId: string | undefined,
  ): Promise<({ id: string } | Skipped) & { attempts: number }> {
    const address = attachmentAddress(item.thread.externalId, p.message.externalId, index);
    const row = await this.ctx.state.get(address);
    const uploadedAt = (row?.applied as { uploadedAt?: number } | null)?.uploadedAt;
    if (row?.status === 'applied' && row.targetId && row.inputHash === hashOf(spec) && uploadedAt !== undefined && this.ctx.requests.clock.now() - uploadedAt < UPLOAD_REUSE_MS) {
      return { id: row.targetId, attempts: 0 };
    }
    const f = await this.fetchFile(item, p, spec, index);
    if (!('local' in f)) return f;
    const { base, local: fetched } = f;
    let attempts = f.attempts;
    const fail = async (reason: string, error: RecordedError, cause: AttachmentError | string) => {
      await this.ctx.commit([{ ...base, error, attempts }]);
      return { reason, cause, attempts };
    };
    try {
      let ticket;
      try {
        const r = await this.ctx.requests.call('createAttachmentUploadUrl', address, (signal) =>
          this.ctx.target.createAttachmentUploadUrl(customerId ?? '', spec.fileName, fetched.size, attachmentTypeFor(p.message.type), { signal }),
        );
        attempts += r.attempts;
        ticket = r.value;
      } catch (e) {
        if (e instanceof TargetError) {
          attempts += attemptsOf(e);
          return fail(e.recorded.message, e.recorded, e.recorded.message);
        }
        throw e;
      }
      try {
        await this.retrying(address, () =>
          uploadToForm({
            uploadFormUrl: ticket.uploadFormUrl,
            uploadFormData: ticket.uploadFormData,
            file: fetched.path,
            fileName: spec.fileName,
            contentType: spec.contentType,
            size: fetched.size,
            signal: this.cancel,
            timeoutMs: this.options!.timeoutMs * 10,
          }),
        );
      } catch (e) {
        if (e instanceof AttachmentError && e.code === 'aborted') throw new Stopped();
        if (e instanceof AttachmentError) return fail(`the upload failed: ${e.message}`, { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' }, e);
        throw e;
      }
      await this.ctx.commit([{ ...base, targetId: ticket.attachmentId, result: 'CREATED', applied: { sha256: fetched.sha256, size: fetched.size, uploadedAt: this.ctx.requests.clock.now() }, attempts }]);
      return { id: ticket.attachmentId, attempts };
    } finally {
      await f.cleanup();
    }
  }

  /** Fetches and uploads are not Plain requests: retried here, with the same backoff, outside the rate limit. */
  private async retrying<T>(address: string, fn: () => Promise<T>): Promise<T> {
    const requests = this.ctx.requests;
    const max = Math.max(1, this.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      if (requests.stopping) throw new Stopped();
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof AttachmentError) || !e.retryable || attempt >= max || requests.stopping) throw e;
        const delay = Math.max(e.retryAfterMs ?? 0, backoffDelay(attempt, requests.random));
        this.ctx.emit({ type: 'retry', operation: 'attachment', address, attempt, delayMs: delay, error: { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' } });
        await requests.sleep(delay);
      }
    }
  }
}
