/** A thread's messages in `validate --sample`: each one's fields and files, checked, in the order they would be sent. */
import { Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { extractInlineImages } from '../../attachments/index.js';
import type { MessageAttachment, MessageType } from '../../core/model.js';
import type { MessagesDecl } from '../../manifest/types.js';
import type { Bindings } from '../../mapping/bindings.js';
import { attachmentsOf, pastTime, requiredString, show, type Reasons } from '../../mapping/rules.js';
import { isEmpty, truthy, type Evaluated, type SampleContext } from './context.js';
import { fmt, oneLine } from './text.js';

/** A thread's messages as shown: the list's node, the valid ones in send order, and the counts. */
export interface SampledMessages {
  readonly node?: YAMLSeq;
  readonly sent: readonly YAMLMap[];
  readonly invalid: number;
  readonly filtered: number;
  /** Why the thread cannot be imported as it is (its list of messages could not be read). */
  readonly threadReasons?: readonly string[];
}

/**
 * As the Mapper: inline images in the text become files of the message, and each file is checked
 * against the target's limits; a file it would refuse is a note (onSkip: note) or a reason (fail).
 */
function sampleFiles(cx: SampleContext, textNode: Node, filesNode: Node, text: string, raw: MessageAttachment[], type: MessageType, reasons: Reasons): void {
  const inline = extractInlineImages(text, raw, (a, i, source) => cx.rules.inlineImage(a, i, source));
  cx.comments.info(textNode, inline.problems);
  const notes: string[] = [];
  for (const [i, a] of inline.attachments.entries()) {
    const why = cx.rules.checkAttachment(a, i, type, cx.maxBytes);
    if (!why) continue;
    if (cx.onSkip === 'fail') cx.rule(filesNode, reasons, (r) => r.push(`messages.attachments: ${a.fileName}: ${why.message} (attachments.onSkip: fail)`));
    else notes.push(`attachment ${a.fileName} skipped: ${why.message}`);
  }
  cx.comments.info(filesNode, notes);
}

/**
 * The thread's messages, valid ones first in the order they would be sent (returned, for the caller
 * to label once it knows whether the thread is sent), then the others; `threadReasons` when the
 * list itself cannot be read.
 */
export async function sampleMessages(
  cx: SampleContext,
  th: YAMLMap,
  m: MessagesDecl,
  threadRecord: unknown,
): Promise<SampledMessages> {
  const rules = cx.rules;
  const wording = rules.sample ?? {};
  const b: Bindings = { ...cx.bindings, thread: threadRecord };
  const seq = new YAMLSeq();
  // Shown as `[]` with its comments on the same line while it holds no message.
  seq.flow = true;
  th.add(new Pair('messages', seq));
  const each = await cx.eval(m.each, threadRecord, b);
  cx.comments.info(seq, each.notes);
  if (each.error !== undefined) {
    cx.comments.failed(seq, each.error);
    return { node: seq, sent: [], invalid: 0, filtered: 0, threadReasons: [each.error] };
  }
  const items = each.value;
  const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
  if (list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
    const reason = `messages.each must give a list of records (objects); the expression gave ${show(items)}`;
    cx.comments.bad(seq, [reason]);
    return { node: seq, sent: [], invalid: 0, filtered: 0, threadReasons: [reason] };
  }
  const seen = new Set<string>();
  const sent: Array<{ node: YAMLMap; order: number; ms: number }> = [];
  const rest: Array<{ node: YAMLMap; text: string }> = [];
  let filtered = 0;
  for (let i = 0; i < list.length; i++) {
    const rec = list[i];
    const mm = new YAMLMap();
    const idx = new Scalar(i);
    mm.add(new Pair('index', idx));
    const reasons: Reasons = [];
    const errs = (ev: Evaluated): void => {
      if (ev.error !== undefined) reasons.push(ev.error);
    };
    if (m.where) {
      const ev = await cx.eval(m.where, rec, b);
      errs(ev);
      const n = cx.put(mm, 'where', ev);
      if (ev.error === undefined && !truthy(ev.value)) {
        cx.comments.info(n, [`messages.where (${oneLine(m.where.text)}) is false for this message`]);
        filtered++;
        rest.push({ node: mm, text: 'filtered out by messages.where: not sent' });
        continue;
      }
    }
    let ev = await cx.eval(m.externalId, rec, b);
    errs(ev);
    const idNode = cx.put(mm, 'externalId', ev);
    const idValue = ev.value;
    const externalId = cx.rule(idNode, reasons, (r) => requiredString(idValue, 'messages.externalId', r));
    if (externalId !== undefined && externalId !== ev.value) cx.comments.norm(idNode, fmt(externalId));
    if (externalId !== undefined) {
      if (seen.has(externalId)) {
        const dup = `messages.externalId ${show(externalId)} appears twice in this thread; it must be unique within its thread`;
        cx.comments.bad(idNode, [dup]);
        reasons.push(dup);
      }
      seen.add(externalId);
    }

    // Evaluated in the planner's order (text, createdAt, author, type), shown in the manifest's.
    const tv = await cx.eval(m.text, rec, b);
    errs(tv);
    const cv = await cx.eval(m.createdAt, rec, b);
    errs(cv);
    const av = m.author ? await cx.eval(m.author, rec, b) : { value: undefined, notes: [] };
    errs(av);
    const yv = m.type ? await cx.eval(m.type, rec, b) : { value: undefined, notes: [] };
    errs(yv);

    let typeNode: Node;
    if (m.type) typeNode = cx.put(mm, 'type', yv);
    else {
      typeNode = new Scalar(null);
      mm.add(new Pair('type', typeNode));
    }
    const textNode = cx.put(mm, 'text', tv);
    const createdNode = cx.put(mm, 'createdAt', cv);
    const authorNode = m.author ? cx.put(mm, 'author', av) : undefined;

    const text = cx.rule(textNode, reasons, (r) => requiredString(tv.value, 'messages.text', r));
    const createdAt = cx.rule(createdNode, reasons, (r) => pastTime(cv.value, 'messages.createdAt', r, cx.now, rules.target, true));
    if (createdAt !== undefined && createdAt !== cv.value) cx.comments.norm(createdNode, createdAt);
    const type = cx.rule(typeNode, reasons, (r) => rules.messageType(yv.value, av.value, r));
    if (type) {
      // The type as the target writes it: a value the target takes as it is is not a change.
      const name = wording.messageTypeName?.(type) ?? type;
      if (isEmpty(yv.value)) {
        const why = wording.defaultMessageTypeWhy?.(av.value);
        cx.comments.norm(typeNode, `${name} (the default${why !== undefined ? `: ${why}` : ''})`);
      } else if (yv.value !== name) cx.comments.norm(typeNode, name);
    }

    let authorOk = false;
    const aNode = authorNode ?? typeNode;
    if (type === 'OUTBOUND' || type === 'NOTE') {
      authorOk = (await cx.ruleAsync(aNode, reasons, (r) => rules.agentAuthor(av.value, type, r, cx.rulesContext))) !== undefined;
    } else if (type === 'INBOUND') {
      if (av.value === undefined || av.value === null) {
        authorOk = true;
        if (authorNode) cx.comments.norm(authorNode, "the thread's customer");
      } else {
        const v = typeof av.value === 'object' ? (av.value as Record<string, unknown>) : { email: av.value };
        const c = cx.rule(aNode, reasons, (r) => rules.customer(v, 'messages.author', r));
        authorOk = c !== undefined;
        if (c) cx.comments.norm(aNode, `customer ${show(c)}`);
      }
    }

    if (m.attachments) {
      const v = await cx.eval(m.attachments, rec, b);
      errs(v);
      const n = cx.put(mm, 'attachments', v);
      const files = cx.rule(n, reasons, (r) => attachmentsOf(v.value, r));
      if (files.length > 0) cx.comments.info(n, [`${files.length === 1 ? '1 file' : `${files.length} files`}, checked against ${rules.target}'s limits and uploaded by apply`]);
      if (text !== undefined && type) sampleFiles(cx, textNode, n, text, files, type, reasons);
    }

    if (reasons.length > 0 || !externalId || !text || !createdAt || !type || !authorOk) {
      rest.push({ node: mm, text: `invalid, not sent: ${reasons.map(oneLine).join(' · ')}` });
      continue;
    }
    sent.push({ node: mm, order: i, ms: Date.parse(createdAt) });
  }
  sent.sort((a, z) => a.ms - z.ms || a.order - z.order);
  seq.flow = list.length === 0;
  for (const s of sent) seq.add(s.node);
  for (const r of rest) {
    r.node.comment = ` → ${r.text}`;
    seq.add(r.node);
  }
  return { node: seq, sent: sent.map((s) => s.node), invalid: rest.length - filtered, filtered };
}
