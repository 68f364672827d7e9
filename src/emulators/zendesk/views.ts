/** The JSON the Zendesk emulator serves: comments, attachments, ticket events and the default ticket fields. */
import { convert } from 'html-to-text';
import { isoSec } from './store.js';
import type { CommentRecord, StatusChangeRecord, ZdObject } from './types.js';

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The attachment as Zendesk serves it: content_url on the emulator's /attachments/token/…, no local_path. */
export function attachmentView(raw: ZdObject, baseUrl: string): ZdObject {
  const { local_path: _local, ...a } = raw;
  const url = `${baseUrl}/attachments/token/${String(a.id)}/?name=${encodeURIComponent(String(a.file_name))}`;
  return {
    url: `${baseUrl}/api/v2/attachments/${String(a.id)}.json`,
    content_type: 'application/octet-stream',
    size: 0,
    inline: false,
    deleted: false,
    thumbnails: [],
    ...a,
    content_url: url,
    mapped_content_url: url,
  };
}

/** A comment as GET /tickets/{id}/comments serves it: no ticket_id, body / html_body / plain_body filled in. */
export function commentView(c: CommentRecord, baseUrl: string): ZdObject {
  const d = c.data;
  const html = typeof d.html_body === 'string' ? d.html_body : undefined;
  const body = typeof d.body === 'string' ? d.body : html !== undefined ? convert(html, { wordwrap: false }) : '';
  return {
    id: c.id,
    type: 'Comment',
    author_id: null,
    via: { channel: 'web', source: { from: {}, to: {}, rel: null } },
    metadata: { system: {}, custom: {} },
    audit_id: c.id * 10,
    ...structuredClone(d),
    body,
    html_body: html ?? `<div class="zd-comment" dir="auto"><p>${escapeHtml(body)}</p></div>`,
    plain_body: typeof d.plain_body === 'string' ? d.plain_body : body,
    public: d.public !== false,
    attachments: (Array.isArray(d.attachments) ? (d.attachments as ZdObject[]) : []).map((a) => attachmentView(a, baseUrl)),
    created_at: isoSec(c.createdMs),
  };
}

export interface EventRow {
  key: [number, number];
  view(): ZdObject;
}

/** A comment's audit in the ticket-events export. */
export function commentEvent(c: CommentRecord, baseUrl: string, withComments: boolean): EventRow {
  const id = c.id * 10;
  return {
    key: [c.eventTs, id],
    view: () => {
      const v = commentView(c, baseUrl);
      const child: ZdObject = withComments
        ? {
            id: c.id,
            event_type: 'Comment',
            type: 'Comment',
            author_id: v.author_id,
            body: v.body,
            html_body: v.html_body,
            public: v.public,
            attachments: v.attachments,
            audit_id: id,
            created_at: v.created_at,
            via: v.via,
            via_reference_id: null,
          }
        : { id: c.id, event_type: 'Comment', comment_present: true, comment_public: v.public };
      return {
        id,
        ticket_id: c.ticketId,
        timestamp: c.eventTs,
        created_at: isoSec(c.eventTs * 1000),
        updater_id: v.author_id,
        via: v.via,
        event_type: 'Audit',
        comment_present: true,
        comment_public: v.public,
        child_events: [child],
      };
    },
  };
}

/** A status change (or a ticket's creation) made through the account hook. */
export function statusEvent(s: StatusChangeRecord): EventRow {
  return {
    key: [s.ts, s.id],
    view: () => ({
      id: s.id,
      ticket_id: s.ticketId,
      timestamp: s.ts,
      created_at: isoSec(s.ts * 1000),
      updater_id: null,
      via: { channel: 'api', source: { from: {}, to: {}, rel: null } },
      event_type: 'Audit',
      comment_present: false,
      comment_public: false,
      child_events: [
        s.previous === null
          ? { id: s.id + 1, event_type: 'Create', field_name: 'status', value: s.value }
          : { id: s.id + 1, event_type: 'Change', field_name: 'status', previous_value: s.previous, value: s.value },
      ],
    }),
  };
}

const SYSTEM_FIELDS: [string, string][] = [
  ['subject', 'Subject'],
  ['description', 'Description'],
  ['status', 'Status'],
  ['tickettype', 'Type'],
  ['priority', 'Priority'],
  ['group', 'Group'],
  ['assignee', 'Assignee'],
];

/** Zendesk's system ticket fields, served when the seed has none. */
export function defaultTicketFields(baseUrl: string): ZdObject[] {
  return SYSTEM_FIELDS.map(([type, title], i) => ({
    id: 1_000_001 + i,
    url: `${baseUrl}/api/v2/ticket_fields/${1_000_001 + i}.json`,
    type,
    title,
    raw_title: title,
    description: title,
    position: i,
    active: true,
    required: false,
    removable: false,
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z',
  }));
}
