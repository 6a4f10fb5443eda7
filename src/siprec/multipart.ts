import { SiprecBodyError } from "./errors.ts";

/** One body part of a `multipart/*` body: its headers (lower-case names) and its content bytes. */
export interface BodyPart {
  /** Part headers by lower-case name; folded lines are unfolded. */
  headers: Map<string, string>;
  /** Part content, a view into the original body (no copy). */
  content: Uint8Array;
}

const latin1 = new TextDecoder("latin1");

/**
 * Splits a `multipart/*` body into its parts (RFC 2046 §5.1.1).
 *
 * Tolerates what SRCs send: CRLF or bare-LF line endings (AudioCodes), a preamble and an epilogue,
 * transport padding after a delimiter, and a missing close delimiter (the last part then runs to the
 * end of the body). Offsets are found on a one-char-per-byte view so part contents stay exact bytes.
 *
 * @throws SiprecBodyError `SIPREC_BAD_MULTIPART` (400) when `--boundary` never starts a line.
 */
export function splitMultipart(body: Uint8Array, boundary: string): BodyPart[] {
  const text = latin1.decode(body);
  const delimiters = findDelimiters(text, `--${boundary}`);
  if (delimiters.length === 0) {
    throw new SiprecBodyError("SIPREC_BAD_MULTIPART", 400, `boundary "${boundary}" not found in body`);
  }
  const parts: BodyPart[] = [];
  for (let i = 0; i < delimiters.length; i++) {
    const delimiter = delimiters[i]!;
    if (delimiter.close) break;
    const next = delimiters[i + 1];
    const end = next ? next.lineStart : text.length;
    parts.push(toPart(body, text, delimiter.contentStart, Math.max(end, delimiter.contentStart)));
  }
  return parts;
}

interface Delimiter {
  /** Offset where the line break before the delimiter starts (the part before ends here). */
  lineStart: number;
  /** Offset of the first byte after the delimiter line. */
  contentStart: number;
  /** True for the close delimiter `--boundary--`. */
  close: boolean;
}

function findDelimiters(text: string, dashBoundary: string): Delimiter[] {
  const found: Delimiter[] = [];
  let from = 0;
  for (;;) {
    const at = text.indexOf(dashBoundary, from);
    if (at < 0) return found;
    from = at + dashBoundary.length;
    if (at > 0 && text[at - 1] !== "\n") continue;
    if (!endsDelimiter(text, from)) continue;
    const lineStart = at === 0 ? 0 : text[at - 2] === "\r" ? at - 2 : at - 1;
    const close = text.startsWith("--", from);
    const lineEnd = text.indexOf("\n", from);
    const contentStart = lineEnd < 0 ? text.length : lineEnd + 1;
    found.push({ lineStart, contentStart, close });
    if (close) return found;
  }
}

/** A boundary match counts only when followed by `--`, padding, a line break or the end of the body. */
function endsDelimiter(text: string, at: number): boolean {
  const next = text[at];
  return (
    next === undefined ||
    next === "\r" ||
    next === "\n" ||
    next === " " ||
    next === "\t" ||
    text.startsWith("--", at)
  );
}

function toPart(body: Uint8Array, text: string, start: number, end: number): BodyPart {
  const headerEnd = findHeaderEnd(text, start, end);
  const headers = parsePartHeaders(text.slice(start, headerEnd.headers));
  return { headers, content: body.subarray(headerEnd.content, end) };
}

/** Where the part headers end and the content begins (after the first empty line). */
function findHeaderEnd(text: string, start: number, end: number): { headers: number; content: number } {
  if (text[start] === "\n") return { headers: start, content: start + 1 };
  if (text.startsWith("\r\n", start)) return { headers: start, content: start + 2 };
  const match = /\r?\n\r?\n/.exec(text.slice(start, end));
  if (!match) return { headers: end, content: end };
  return { headers: start + match.index, content: start + match.index + match[0].length };
}

function parsePartHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, " ");
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}
