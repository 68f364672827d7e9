/**
 * Changes to an existing thread: updateThreadTitle, changeThreadPriority, markThreadAsDone,
 * markThreadAsTodo, snoozeThread, addLabels, removeLabels, assignThread, unassignThread.
 * Every field problem is reported at once (VALIDATION, code input_validation); nothing is changed
 * unless the whole call is valid. A call that changes nothing succeeds and leaves updatedAt alone.
 */
import type { PlainStore } from '../store.js';
import type {
  AssigneeRef,
  DoneStatusDetail,
  LabelRecord,
  MutationFieldError,
  SnoozeStatusDetail,
  StatusDetail,
  ThreadRecord,
  ThreadStatus,
  TodoStatusDetail,
} from '../types.js';
import { isBlank, requireText, setKeys } from './common.js';
import { codedValidationError, fail, fieldError, ok, validationError, type RuleResult } from './errors.js';
import { resolveAssignee } from './threads.js';
import { missingRequiredFields } from './threadfields.js';

function findThread(store: PlainStore, threadId: string, errors: MutationFieldError[]): ThreadRecord | undefined {
  const thread = store.threads.get(threadId);
  if (!thread) errors.push(fieldError('threadId', 'NOT_FOUND', `No thread found with id "${threadId}"`));
  return thread;
}

// ---------------------------------------------------------------- title, priority

export interface UpdateThreadTitleInput {
  threadId: string;
  title: string;
}

export function updateThreadTitle(store: PlainStore, input: UpdateThreadTitleInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  requireText(input.title, 'title', errors);
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  if (thread.title !== input.title) {
    thread.title = input.title;
    thread.updatedAt = nowMs;
  }
  return ok(thread);
}

export interface ChangeThreadPriorityInput {
  threadId: string;
  priority: number;
}

export function changeThreadPriority(store: PlainStore, input: ChangeThreadPriorityInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  if (!Number.isInteger(input.priority) || input.priority < 0 || input.priority > 3) {
    errors.push(fieldError('priority', 'VALIDATION', `priority must be 0 (urgent), 1 (high), 2 (normal) or 3 (low) (got ${input.priority})`));
  }
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  if (thread.priority !== input.priority) {
    thread.priority = input.priority;
    thread.updatedAt = nowMs;
  }
  return ok(thread);
}

// ---------------------------------------------------------------- status

function setStatus(thread: ThreadRecord, status: ThreadStatus, detail: StatusDetail, snoozedUntil: number | null, nowMs: number): void {
  if (thread.status === status && thread.statusDetail === detail && thread.snoozedUntil === snoozedUntil) return;
  thread.status = status;
  thread.statusDetail = detail;
  thread.snoozedUntil = snoozedUntil;
  thread.statusChangedAt = nowMs;
  thread.updatedAt = nowMs;
}

export interface MarkThreadAsDoneInput {
  threadId: string;
  statusDetail?: DoneStatusDetail | 'TIMER_EXPIRED' | null;
}

export function markThreadAsDone(store: PlainStore, input: MarkThreadAsDoneInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  // "When true, a thread cannot be marked as done until this field has a value" (ThreadFieldSchema.isRequired).
  if (thread) errors.push(...missingRequiredFields(store, thread));
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  // TIMER_EXPIRED is deprecated in favour of DONE_AUTOMATICALLY_SET (schema), so it is stored as that.
  const raw = input.statusDetail ?? 'DONE_MANUALLY_SET';
  const detail: DoneStatusDetail = raw === 'TIMER_EXPIRED' ? 'DONE_AUTOMATICALLY_SET' : raw;
  setStatus(thread, 'DONE', detail, null, nowMs);
  return ok(thread);
}

export interface MarkThreadAsTodoInput {
  threadId: string;
  statusDetail?: TodoStatusDetail | null;
}

export function markThreadAsTodo(store: PlainStore, input: MarkThreadAsTodoInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  setStatus(thread, 'TODO', input.statusDetail ?? 'IN_PROGRESS', null, nowMs);
  return ok(thread);
}

export interface SnoozeThreadInput {
  threadId: string;
  durationSeconds?: number | null;
  statusDetail?: SnoozeStatusDetail | null;
}

/**
 * WAITING_FOR_CUSTOMER / WAITING_INDEFINITELY: no durationSeconds. WAITING_FOR_DURATION (also implied by
 * durationSeconds alone): durationSeconds > 0. Neither statusDetail nor durationSeconds: VALIDATION.
 */
export function snoozeThread(store: PlainStore, input: SnoozeThreadInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  const duration = input.durationSeconds ?? null;
  const detail: SnoozeStatusDetail | null = input.statusDetail ?? (duration !== null ? 'WAITING_FOR_DURATION' : null);
  if (detail === null) {
    errors.push(fieldError('statusDetail', 'REQUIRED', 'Set statusDetail (WAITING_FOR_CUSTOMER, WAITING_INDEFINITELY) or durationSeconds (WAITING_FOR_DURATION)'));
  } else if (detail === 'WAITING_FOR_DURATION') {
    if (duration === null) errors.push(fieldError('durationSeconds', 'REQUIRED', 'durationSeconds is required when statusDetail is WAITING_FOR_DURATION'));
    else if (!Number.isInteger(duration) || duration <= 0) errors.push(fieldError('durationSeconds', 'VALIDATION', `durationSeconds must be a whole number of seconds > 0 (got ${duration})`));
  } else if (duration !== null) {
    errors.push(fieldError('durationSeconds', 'VALIDATION', `durationSeconds can only be set with statusDetail WAITING_FOR_DURATION (got ${detail})`));
  }
  if (errors.length > 0 || !thread || detail === null) return fail(validationError(errors));
  const until = detail === 'WAITING_FOR_DURATION' && duration !== null ? nowMs + duration * 1000 : null;
  setStatus(thread, 'SNOOZED', detail, until, nowMs);
  return ok(thread);
}

// ---------------------------------------------------------------- labels

export interface AddLabelsInput {
  threadId: string;
  labelTypeIds: string[];
}

/** Labels whose type is already on the thread (or repeated in the input) are silently skipped. */
export function addLabels(store: PlainStore, input: AddLabelsInput, nowMs: number): RuleResult<{ thread: ThreadRecord; labels: LabelRecord[] }> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  if (input.labelTypeIds.length === 0) errors.push(fieldError('labelTypeIds', 'REQUIRED', 'labelTypeIds must name at least one label type'));
  const archived: string[] = [];
  for (const id of input.labelTypeIds) {
    const lt = store.labelTypes.get(id);
    if (!lt) errors.push(fieldError('labelTypeIds', 'NOT_FOUND', `No label type found with id "${id}"`));
    else if (lt.archived && !archived.includes(id)) archived.push(id);
  }
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  if (archived.length > 0) {
    return fail(
      codedValidationError(
        'cannot_add_label_using_archived_label_type',
        `Cannot add a label using an archived label type: ${archived.join(', ')}`,
        archived.map((id) => fieldError('labelTypeIds', 'VALIDATION', `Label type "${id}" is archived`)),
      ),
    );
  }
  const present = new Set(thread.labels.map((l) => l.labelTypeId));
  const added: LabelRecord[] = [];
  for (const labelTypeId of input.labelTypeIds) {
    if (present.has(labelTypeId)) continue;
    present.add(labelTypeId);
    added.push({ id: store.ids.next('l'), labelTypeId, createdAt: nowMs });
  }
  if (added.length > 0) {
    store.attachLabels(thread, added);
    thread.updatedAt = nowMs;
  }
  return ok({ thread, labels: added });
}

export interface RemoveLabelsInput {
  labelIds: string[];
}

/** Label ids (l_…), all on one thread. */
export function removeLabels(store: PlainStore, input: RemoveLabelsInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  if (input.labelIds.length === 0) errors.push(fieldError('labelIds', 'REQUIRED', 'labelIds must name at least one label'));
  const threads = new Map<string, ThreadRecord>();
  for (const id of input.labelIds) {
    const thread = store.threadOfLabelId(id);
    if (!thread) {
      const hint = store.labelTypes.has(id) ? ' (that is a label type id; removeLabels takes label ids, l_…)' : '';
      errors.push(fieldError('labelIds', 'NOT_FOUND', `No label found with id "${id}"${hint}`));
    } else threads.set(thread.id, thread);
  }
  if (threads.size > 1) {
    errors.push(fieldError('labelIds', 'VALIDATION', `All labels must belong to the same thread (they are on ${[...threads.keys()].join(', ')})`));
  }
  const thread = threads.values().next().value;
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  store.detachLabels(thread, new Set(input.labelIds));
  thread.updatedAt = nowMs;
  return ok(thread);
}

// ---------------------------------------------------------------- assignment

export interface AssignThreadInput {
  threadId: string;
  userId?: string | null;
  machineUserId?: string | null;
}

export function assignThread(store: PlainStore, input: AssignThreadInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  const who = { userId: input.userId, machineUserId: input.machineUserId };
  const keys = setKeys(who);
  let assignee: AssigneeRef | null = null;
  if (keys.length === 0) {
    errors.push(fieldError('userId', 'REQUIRED', 'One of userId or machineUserId is required'));
    errors.push(fieldError('machineUserId', 'REQUIRED', 'One of userId or machineUserId is required'));
  } else if (keys.length > 1) {
    errors.push(fieldError('userId', 'VALIDATION', 'Only one of userId or machineUserId may be set'));
    errors.push(fieldError('machineUserId', 'VALIDATION', 'Only one of userId or machineUserId may be set'));
  } else if (isBlank(who.userId ?? who.machineUserId)) {
    errors.push(fieldError(keys[0] ?? 'userId', 'REQUIRED', `${keys[0] ?? 'userId'} must not be empty`));
  } else assignee = resolveAssignee(store, who, '', errors);
  if (errors.length > 0 || !thread || !assignee) return fail(validationError(errors));
  if (!sameAssignee(thread.assignedTo, assignee)) {
    thread.assignedTo = assignee;
    thread.assignedAt = nowMs;
    thread.updatedAt = nowMs;
  }
  return ok(thread);
}

export interface UnassignThreadInput {
  threadId: string;
}

export function unassignThread(store: PlainStore, input: UnassignThreadInput, nowMs: number): RuleResult<ThreadRecord> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  if (thread.assignedTo !== null) {
    thread.assignedTo = null;
    thread.assignedAt = null;
    thread.updatedAt = nowMs;
  }
  return ok(thread);
}

function sameAssignee(a: AssigneeRef | null, b: AssigneeRef): boolean {
  if (a === null) return false;
  if ('userId' in a) return 'userId' in b && a.userId === b.userId;
  return 'machineUserId' in b && a.machineUserId === b.machineUserId;
}

export interface DeleteThreadInput {
  threadId: string;
}

/** deleteThread: the thread and everything on it are gone; its externalId may be imported again. */
export function deleteThread(store: PlainStore, input: DeleteThreadInput): RuleResult<null> {
  const errors: MutationFieldError[] = [];
  const thread = findThread(store, input.threadId, errors);
  if (errors.length > 0 || !thread) return fail(validationError(errors));
  store.removeThread(thread);
  return ok(null);
}
