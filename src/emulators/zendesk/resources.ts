/** The non-export reads: a ticket's comments, ticket fields, one ticket, one user. */
import type { ExportContext } from './exports.js';
import { listPage, notFound, type Answer, type Row } from './paging.js';
import { commentView, defaultTicketFields } from './views.js';

export type ResourceContext = ExportContext;

/** The live (not soft-deleted) ticket with this id, or undefined. */
function liveTicket(ctx: ResourceContext, id: string) {
  const t = ctx.store.tickets.get(Number(id));
  return t && t.data.status !== 'deleted' ? t : undefined;
}

/** GET /api/v2/tickets/{id}/comments(.json): ascending by created_at, then id. */
export function ticketComments(ctx: ResourceContext, [id = '']: string[]): Answer {
  const t = liveTicket(ctx, id);
  if (!t) return notFound();
  const rows: Row[] = ctx.store.ticketComments(t.id).map((c) => ({ key: [c.createdMs, c.id], view: () => commentView(c, ctx.baseUrl) }));
  return listPage(rows, 'comments', ctx.q, ctx.baseUrl, ctx.path);
}

/** GET /api/v2/ticket_fields(.json) */
export function ticketFields(ctx: ResourceContext): Answer {
  const fields = ctx.store.ticketFields.length > 0 ? ctx.store.ticketFields : defaultTicketFields(ctx.baseUrl);
  const rows: Row[] = fields.map((f, i) => ({ key: [i, Number(f.id)], view: () => structuredClone(f) }));
  return listPage(rows, 'ticket_fields', ctx.q, ctx.baseUrl, ctx.path);
}

/** GET /api/v2/tickets/{id}(.json): soft-deleted tickets are not found. */
export function showTicket(ctx: ResourceContext, [id = '']: string[]): Answer {
  const t = liveTicket(ctx, id);
  return t ? { status: 200, body: { ticket: ctx.store.ticketView(t) } } : notFound();
}

/** GET /api/v2/users/{id}(.json) */
export function showUser(ctx: ResourceContext, [id = '']: string[]): Answer {
  const u = ctx.store.users.get(Number(id));
  return u ? { status: 200, body: { user: structuredClone(u.data) } } : notFound();
}
