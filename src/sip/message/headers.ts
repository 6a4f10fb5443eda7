/**
 * SIP header list: the header fields of a message in the order received, with case-insensitive and
 * compact-form lookup (RFC 3261 §7.3, §7.3.3, §20).
 * @module
 */

/** RFC 3261 §7.3.3 and later RFCs: compact form → full header name (lowercase). */
const compactForms: Record<string, string> = {
  a: "accept-contact",
  b: "referred-by",
  c: "content-type",
  d: "request-disposition",
  e: "content-encoding",
  f: "from",
  i: "call-id",
  j: "reject-contact",
  k: "supported",
  l: "content-length",
  m: "contact",
  n: "identity-info",
  o: "event",
  r: "refer-to",
  s: "subject",
  t: "to",
  u: "allow-events",
  v: "via",
  x: "session-expires",
  y: "identity",
};

/**
 * Headers whose value is a comma-separated list (RFC 3261 §7.3.1: "#" rules), so
 * {@link SipHeaders.values} splits them. Any other header (Date, Subject, auth headers, unknown
 * extension headers) keeps one value per header line, because commas may be part of its value.
 */
const listHeaders = new Set([
  "accept",
  "accept-contact",
  "accept-encoding",
  "accept-language",
  "alert-info",
  "allow",
  "allow-events",
  "call-info",
  "contact",
  "content-encoding",
  "content-language",
  "diversion",
  "error-info",
  "history-info",
  "in-reply-to",
  "p-asserted-identity",
  "p-associated-uri",
  "p-preferred-identity",
  "path",
  "proxy-require",
  "reason",
  "record-route",
  "reject-contact",
  "request-disposition",
  "require",
  "route",
  "security-client",
  "security-server",
  "security-verify",
  "service-route",
  "supported",
  "unsupported",
  "via",
  "warning",
]);

/** Returns the lookup key of a header name: lowercase, compact forms expanded (`"I"` → `"call-id"`). */
export function headerKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.length === 1 ? (compactForms[lower] ?? lower) : lower;
}

/** Whether the header `name` is a comma-separated list (see {@link SipHeaders.values}). */
export function isListHeader(name: string): boolean {
  return listHeaders.has(headerKey(name));
}

/**
 * Splits a comma-separated header value into its elements (RFC 3261 §7.3.1), ignoring commas inside
 * quoted strings (with `\` escapes), `<...>` URIs and `(...)` comments. Elements are trimmed; empty
 * elements are kept (callers decide whether `a,,b` is an error).
 */
export function splitHeaderList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let inQuote = false;
  let angle = 0;
  let paren = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (inQuote) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inQuote = false;
    } else if (ch === 0x22) inQuote = true;
    else if (ch === 0x3c) angle++;
    else if (ch === 0x3e && angle > 0) angle--;
    else if (ch === 0x28) paren++;
    else if (ch === 0x29 && paren > 0) paren--;
    else if (ch === 0x2c && angle === 0 && paren === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out;
}

/**
 * Ordered header fields of a SIP message: a list of `[name, value]` pairs as received (names keep
 * their spelling, e.g. compact `v`), looked up case-insensitively with compact forms expanded
 * (RFC 3261 §7.3.3). Values are unfolded (RFC 3261 §7.3.1) and trimmed.
 */
export interface SipHeaders extends Iterable<[name: string, value: string]> {
  /** Number of header lines. */
  readonly size: number;
  /** First value of `name` (one header line), or `undefined`. */
  get(name: string): string | undefined;
  /** Every header line of `name`, in order, unsplit. */
  getAll(name: string): string[];
  /**
   * Every element of `name`: list headers (Via, Contact, Route, Allow, Supported, …) are split at
   * commas outside quotes, `<>` and comments; other headers give one value per line. Empty elements
   * are dropped.
   */
  values(name: string): string[];
  /** Whether at least one line of `name` exists. */
  has(name: string): boolean;
  /** Adds a header line at the end. */
  append(name: string, value: string): this;
  /** Adds a header line at the start (e.g. a new top Via). */
  prepend(name: string, value: string): this;
  /** Replaces every line of `name` with one line (at the first line's position, else at the end). */
  set(name: string, value: string): this;
  /** Removes every line of `name`; returns how many were removed. */
  delete(name: string): number;
  /** The `[name, value]` pairs in order (a copy). */
  entries(): Array<[name: string, value: string]>;
}

/** The standard {@link SipHeaders} implementation: parallel arrays of names, lookup keys and values. */
export class SipHeaderList implements SipHeaders {
  // Header names as written.
  readonly #names: string[] = [];
  // headerKey() of each name.
  readonly #keys: string[] = [];
  // Header values (unfolded, trimmed).
  readonly #values: string[] = [];

  /** Creates a list from `[name, value]` pairs (kept in order). */
  constructor(entries?: Iterable<readonly [string, string]>) {
    if (entries) for (const [name, value] of entries) this.append(name, value);
  }

  get size(): number {
    return this.#names.length;
  }

  get(name: string): string | undefined {
    const i = this.#keys.indexOf(headerKey(name));
    return i < 0 ? undefined : this.#values[i];
  }

  getAll(name: string): string[] {
    const key = headerKey(name);
    const out: string[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] === key) out.push(this.#values[i] ?? "");
    return out;
  }

  values(name: string): string[] {
    const lines = this.getAll(name);
    if (!isListHeader(name)) return lines;
    const out: string[] = [];
    for (const line of lines) for (const part of splitHeaderList(line)) if (part !== "") out.push(part);
    return out;
  }

  has(name: string): boolean {
    return this.#keys.includes(headerKey(name));
  }

  append(name: string, value: string): this {
    this.#names.push(name);
    this.#keys.push(headerKey(name));
    this.#values.push(value);
    return this;
  }

  prepend(name: string, value: string): this {
    this.#names.unshift(name);
    this.#keys.unshift(headerKey(name));
    this.#values.unshift(value);
    return this;
  }

  set(name: string, value: string): this {
    const key = headerKey(name);
    const first = this.#keys.indexOf(key);
    if (first < 0) return this.append(name, value);
    this.#values[first] = value;
    for (let i = this.#keys.length - 1; i > first; i--) if (this.#keys[i] === key) this.#removeAt(i);
    return this;
  }

  delete(name: string): number {
    const key = headerKey(name);
    let removed = 0;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      if (this.#keys[i] === key) {
        this.#removeAt(i);
        removed++;
      }
    }
    return removed;
  }

  entries(): Array<[name: string, value: string]> {
    return this.#names.map((name, i): [string, string] => [name, this.#values[i] ?? ""]);
  }

  /** @internal Index of the first line of `name` at or after `from`, or -1. */
  indexOf(name: string, from = 0): number {
    return this.#keys.indexOf(headerKey(name), from);
  }

  /** @internal Replaces the value of line `i` (keeps its name and position). */
  setValueAt(i: number, value: string): void {
    if (i >= 0 && i < this.#values.length) this.#values[i] = value;
  }

  /** @internal Name as written of line `i`. */
  nameAt(i: number): string {
    return this.#names[i] ?? "";
  }

  /** @internal Lookup key of line `i`. */
  keyAt(i: number): string {
    return this.#keys[i] ?? "";
  }

  /** @internal Value of line `i`. */
  valueAt(i: number): string {
    return this.#values[i] ?? "";
  }

  *[Symbol.iterator](): Iterator<[name: string, value: string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i] ?? "", this.#values[i] ?? ""];
  }

  #removeAt(i: number): void {
    this.#names.splice(i, 1);
    this.#keys.splice(i, 1);
    this.#values.splice(i, 1);
  }
}
