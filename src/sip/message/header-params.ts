import { SipParseError } from "./errors.ts";
import { isToken, isWhitespace, readQuoted, skipWhitespace } from "./grammar.ts";

/**
 * Header or URI parameters (`;name=value;flag`), RFC 3261 §7.3.1 `generic-param`. Names are
 * lowercased (they are case-insensitive); a flag parameter has the value `""`; quoted values are
 * unquoted.
 */
export type SipParams = Map<string, string>;

/**
 * Parses `;name=value` parameters from `text` starting at `start` (which must be at `;` or the end,
 * after optional whitespace).
 * @throws SipParseError (SIP_PARSE) on an empty or non-token name, a missing value after `=`, or
 *   text that is not a parameter.
 * @see RFC 3261 §25.1 `generic-param`
 */
export function parseParams(text: string, start = 0): SipParams {
  const params: SipParams = new Map();
  let i = skipWhitespace(text, start);
  while (i < text.length) {
    if (text[i] !== ";") throw new SipParseError(`expected ";" before "${text.slice(i)}"`, i);
    i = skipWhitespace(text, i + 1);
    let j = i;
    while (j < text.length && text[j] !== "=" && text[j] !== ";" && !isWhitespace(text.charCodeAt(j))) j++;
    const name = text.slice(i, j);
    if (!isToken(name)) throw new SipParseError(`bad parameter name "${name}"`, i);
    j = skipWhitespace(text, j);
    let value = "";
    if (text[j] === "=") {
      j = skipWhitespace(text, j + 1);
      if (text[j] === '"') {
        const quoted = readQuoted(text, j);
        value = quoted.value;
        j = quoted.end;
      } else {
        const valueStart = j;
        while (j < text.length && text[j] !== ";" && !isWhitespace(text.charCodeAt(j))) j++;
        value = text.slice(valueStart, j);
        if (value === "") throw new SipParseError(`parameter "${name}" has no value`, j);
      }
    }
    params.set(name.toLowerCase(), value);
    i = skipWhitespace(text, j);
  }
  return params;
}

/** Serializes parameters back to `;name=value` text (values that are not tokens are quoted). */
export function formatParams(params: ReadonlyMap<string, string>): string {
  let out = "";
  for (const [name, value] of params) {
    if (value === "") out += `;${name}`;
    else if (isToken(value) || /^[\w.:[\]-]+$/.test(value)) out += `;${name}=${value}`;
    else out += `;${name}="${value.replace(/(["\\])/g, "\\$1")}"`;
  }
  return out;
}
