/**
 * A SIP message as text, read by the tests on their own (independently of `src/sip`), so what the
 * appliance put on the wire is checked by code that does not share its parser.
 */
export interface SipText {
  /** The first line, e.g. `INVITE sip:srs@127.0.0.1:5070 SIP/2.0` or `SIP/2.0 200 OK`. */
  startLine: string;
  /** The request method, or undefined for a response. */
  method: string | undefined;
  /** The response status, or undefined for a request. */
  status: number | undefined;
  /** Every header line, in order, as [name, value]. */
  headerLines: Array<[string, string]>;
  /** The first value of a header (name case-insensitive; compact forms are not expanded). */
  header(name: string): string | undefined;
  /** Every value of a header, in order. */
  headerAll(name: string): string[];
  /** The body (UTF-8). */
  body: string;
}

/** One part of a `multipart/*` body (RFC 2046 §5.1). */
export interface MimePart {
  /** Header lines of the part, name lower-cased → value. */
  headers: Record<string, string>;
  /** The part's body, without the CRLF that precedes the next boundary. */
  body: string;
}

/**
 * Reads a SIP message from text: start line, header lines (folded lines joined), blank line, body.
 * Lines may end with CRLF or LF.
 * @throws Error when there is no start line.
 */
export function parseSipText(text: string): SipText {
  const split = /\r?\n\r?\n/.exec(text);
  const head = split ? text.slice(0, split.index) : text;
  const body = split ? text.slice(split.index + split[0].length) : "";
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift()?.trim() ?? "";
  if (startLine === "") throw new Error("no SIP start line");
  const headerLines: Array<[string, string]> = [];
  for (const line of lines) {
    const last = headerLines[headerLines.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) headerLines.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const response = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const headerAll = (name: string) =>
    headerLines.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  return {
    startLine,
    method: response ? undefined : startLine.split(" ")[0],
    status: response ? Number(response[1]) : undefined,
    headerLines,
    header: (name) => headerAll(name)[0],
    headerAll,
    body,
  };
}

/**
 * Splits a `multipart/*` body at the boundary its Content-Type names (RFC 2046 §5.1.1).
 * @throws Error when the Content-Type has no boundary or the body no closing delimiter.
 */
export function splitMultipart(contentType: string, body: string): MimePart[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new Error(`no boundary in Content-Type "${contentType}"`);
  const delimiter = `--${boundary}`;
  if (!body.includes(`${delimiter}--`)) throw new Error(`body has no closing delimiter ${delimiter}--`);
  const sections = body.split(delimiter).slice(1);
  const parts: MimePart[] = [];
  for (const section of sections) {
    if (section.startsWith("--")) break;
    const text = section.replace(/^\r?\n/, "").replace(/\r?\n$/, "");
    const split = /\r?\n\r?\n/.exec(text);
    const head = split ? text.slice(0, split.index) : "";
    const headers: Record<string, string> = {};
    for (const line of head.split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: split ? text.slice(split.index + split[0].length) : text });
  }
  return parts;
}
