/** A small multipart/form-data parser: enough for the emulators' upload endpoints. */

export interface Part {
  name: string;
  data: Buffer;
  /** The part's `filename` (content-disposition); undefined for a plain field. */
  filename?: string;
  /** The part's Content-Type header, when it has one. */
  contentType?: string;
}

/** The boundary of a multipart Content-Type header, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The parts in order, or undefined when the body is not well-formed. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) return undefined;
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString() === '--') return parts;
    if (body.subarray(pos, pos + 2).toString() !== '\r\n') return undefined;
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd < 0) return undefined;
    const headers = body.subarray(pos + 2, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) return undefined;
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) return undefined;
    const part: Part = { name, data: body.subarray(headerEnd + 4, next) };
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (filename !== undefined) part.filename = filename;
    const contentType = /(?:^|\r\n)content-type:\s*([^\r\n]*)/i.exec(headers)?.[1];
    if (contentType !== undefined) part.contentType = contentType.trim();
    parts.push(part);
    pos = next + 2;
  }
}
