/** Streaming helpers shared by the bench scripts: JSON lines, and comments grouped by ticket. */
import { createReadStream } from 'node:fs';

/** Yields each non-empty line of a file, reading 1 MB at a time. */
export async function* readLines(file) {
  let rest = '';
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
    const text = rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      if (nl > start) yield text.slice(start, nl);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  if (rest.length > 0) yield rest;
}

export async function* readJsonl(file) {
  for await (const line of readLines(file)) yield JSON.parse(line);
}

/**
 * Tickets with their comments, reading both files in step. Relies on the generator's layout: comments
 * grouped by ticket, in ticket order (bench/generate.mjs writes them so).
 */
export async function* ticketsWithComments(ticketsFile, commentsFile) {
  const comments = readJsonl(commentsFile)[Symbol.asyncIterator]();
  let pending = await comments.next();
  for await (const ticket of readJsonl(ticketsFile)) {
    const group = [];
    while (!pending.done && pending.value.ticket_id === ticket.id) {
      group.push(pending.value);
      pending = await comments.next();
    }
    yield { ticket, comments: group };
  }
}
