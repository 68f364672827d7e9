/**
 * importThreadMessages: whole-call checks (thread exists, at most 25 messages), then each message on
 * its own. Failed messages are not stored; the others are. Idempotency is per (thread, externalId).
 * Attachments: each must exist and be uploaded (and not deleted by the 24 h clean-up), at most 100
 * distinct per message. Plain documents no rule against reusing an attachment in another message or
 * on another customer's thread, so the emulator allows both.
 */
import type { PlainStore } from '../store.js';
import type { AuthorRef, MessageRecord, MessageType, MutationError, MutationFieldError, ThreadRecord } from '../types.js';
import { attachmentExpired, MAX_ATTACHMENTS_PER_MESSAGE } from './attachments.js';
import { checkCreatedAt, requireText, setKeys } from './common.js';
import { codedValidationError, fail, fieldError, ok, validationError, type RuleResult, internalError } from './errors.js';

export const MAX_MESSAGES_PER_CALL = 25;
const MESSAGE_TYPES: readonly MessageType[] = ['INBOUND', 'OUTBOUND', 'NOTE'];

export interface ImportThreadMessageInput {
  author: { customerId?: string | null; userId?: string | null };
  text: string;
  createdAt: string;
  type: MessageType;
  externalId: string;
  attachmentIds?: string[] | null;
  emailMessageId?: string | null;
}
export interface ImportThreadMessagesInput {
  threadId: string;
  threadMessages: ImportThreadMessageInput[];
}
export interface MessageOutcome {
  message: MessageRecord | null;
  result: 'CREATED' | 'NOOP' | null;
  error: MutationError | null;
}
export interface ImportMessagesOutcome {
  thread: ThreadRecord;
  results: MessageOutcome[];
  error: MutationError | null;
}

export function importThreadMessages(
  store: PlainStore,
  input: ImportThreadMessagesInput,
  nowMs: number,
  fault: { failEverySecond?: boolean } = {},
): RuleResult<ImportMessagesOutcome> {
  const errors: MutationFieldError[] = [];
  const thread = store.threads.get(input.threadId);
  if (!thread) errors.push(fieldError('threadId', 'NOT_FOUND', `No thread found with id "${input.threadId}"`));
  if (input.threadMessages.length > MAX_MESSAGES_PER_CALL) {
    errors.push(fieldError('threadMessages', 'VALIDATION', `At most ${MAX_MESSAGES_PER_CALL} messages can be imported per call (got ${input.threadMessages.length})`));
  }
  if (errors.length > 0 || !thread) return fail(validationError(errors));

  const results = input.threadMessages.map((m, i): MessageOutcome =>
    fault.failEverySecond && i % 2 === 1 ? { message: null, result: null, error: internalError() } : importOne(store, thread, m, nowMs),
  );
  const failed = results.filter((r) => r.error !== null).length;
  const error =
    failed === 0
      ? null
      : codedValidationError('bulk_partial_failure', `${failed} of ${results.length} messages failed to import; see results[].error`);
  return ok({ thread, results, error });
}

function importOne(store: PlainStore, thread: ThreadRecord, m: ImportThreadMessageInput, nowMs: number): MessageOutcome {
  const errors: MutationFieldError[] = [];
  if (!MESSAGE_TYPES.includes(m.type)) errors.push(fieldError('type', 'VALIDATION', `type must be one of ${MESSAGE_TYPES.join(', ')}`));
  const author = checkAuthor(store, m, errors);
  requireText(m.text, 'text', errors);
  requireText(m.externalId, 'externalId', errors);
  const createdAt = checkCreatedAt(m.createdAt, 'createdAt', nowMs, errors);
  const attachmentIds: string[] = [];
  const notUploaded: MutationFieldError[] = [];
  for (const id of m.attachmentIds ?? []) {
    const a = store.attachments.get(id);
    if (!a) errors.push(fieldError('attachmentIds', 'NOT_FOUND', `No attachment found with id "${id}"`));
    else if (!a.uploaded) notUploaded.push(fieldError('attachmentIds', 'VALIDATION', `Attachment ${id} was created but its file was never uploaded`));
    else if (attachmentExpired(a, nowMs)) {
      notUploaded.push(fieldError('attachmentIds', 'VALIDATION', `Attachment ${id} was never referenced within 24 h of its creation, so its file was deleted`));
    } else if (!attachmentIds.includes(id)) attachmentIds.push(id);
  }
  const distinct = new Set(m.attachmentIds ?? []).size;
  if (distinct > MAX_ATTACHMENTS_PER_MESSAGE) {
    errors.push(fieldError('attachmentIds', 'VALIDATION', `A message can have at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments (got ${distinct})`));
  }
  if (errors.length === 0 && notUploaded.length > 0) {
    return { message: null, result: null, error: codedValidationError('attachment_not_uploaded', 'An attachment was never uploaded', notUploaded) };
  }
  errors.push(...notUploaded);
  if (errors.length > 0 || !author || createdAt === undefined) return { message: null, result: null, error: validationError(errors) };

  const existing = thread.messagesByExternalId.get(m.externalId);
  if (existing) return { message: existing, result: 'NOOP', error: null };

  const message: MessageRecord = {
    id: store.ids.next(m.type === 'NOTE' ? 'n' : 't'),
    externalId: m.externalId,
    type: m.type,
    text: m.text,
    createdAt,
    author,
    attachmentIds,
    emailMessageId: m.emailMessageId ?? null,
    importedAt: nowMs,
  };
  thread.messages.push(message);
  thread.messagesByExternalId.set(message.externalId, message);
  for (const id of attachmentIds) {
    const a = store.attachments.get(id);
    if (a) a.referenced = true;
  }
  return { message, result: 'CREATED', error: null };
}

function checkAuthor(store: PlainStore, m: ImportThreadMessageInput, errors: MutationFieldError[]): AuthorRef | undefined {
  const keys = setKeys(m.author);
  if (keys.length !== 1) {
    errors.push(fieldError('author', 'VALIDATION', 'Exactly one of author.customerId or author.userId must be set'));
    return undefined;
  }
  if (m.type === 'INBOUND') {
    if (m.author.customerId == null) {
      errors.push(fieldError('author.customerId', 'REQUIRED', 'INBOUND messages must be authored by a customer (author.customerId)'));
      return undefined;
    }
    if (!store.customers.has(m.author.customerId)) {
      errors.push(fieldError('author.customerId', 'NOT_FOUND', `No customer found with id "${m.author.customerId}"`));
      return undefined;
    }
    return { customerId: m.author.customerId };
  }
  if (m.author.userId == null) {
    errors.push(fieldError('author.userId', 'REQUIRED', `${m.type} messages must be authored by a user (author.userId)`));
    return undefined;
  }
  const user = store.users.get(m.author.userId);
  if (!user) {
    errors.push(fieldError('author.userId', 'NOT_FOUND', `No user found with id "${m.author.userId}"`));
    return undefined;
  }
  if (user.isDeleted) {
    errors.push(fieldError('author.userId', 'VALIDATION', `User ${user.id} is deleted`));
    return undefined;
  }
  return { userId: user.id };
}
