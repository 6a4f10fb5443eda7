/** A parsed `Content-Type` value: lower-case `type/subtype` and parameters by lower-case name. */
export interface MediaType {
  /** e.g. `multipart/mixed`, `application/rs-metadata+xml`. */
  type: string;
  /** Parameter values, unquoted (RFC 2045 §5.1 `quoted-string`), keyed by lower-case name. */
  params: Map<string, string>;
}

/**
 * Parses a MIME `Content-Type` value (RFC 2045 §5.1): parameters in any order and case, values
 * quoted or not, `;` inside quotes kept, whitespace around `;` and `=` tolerated.
 */
export function parseMediaType(value: string): MediaType {
  const params = new Map<string, string>();
  const parts = splitParams(value);
  const type = (parts.shift() ?? "").trim().toLowerCase();
  for (const part of parts) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    params.set(name, unquote(part.slice(eq + 1).trim()));
  }
  return { type, params };
}

function splitParams(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === "\\" && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ";" && !quoted) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, "$1");
}
