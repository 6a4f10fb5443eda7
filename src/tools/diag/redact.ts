/**
 * Secret redaction of the configuration file for the diagnostics bundle (DESIGN.md §7): values of
 * secret-looking keys, header values, URL userinfo and secret query parameters are replaced by
 * `***`; `${NAME}` references stay as written (their values never appear, nor a `:-default`).
 */
import { envReferencePattern, parseYamlWithReferences } from "../../lib/index.ts";

/** The text put in place of a secret. */
export const redactedMark = "***";

/** Result of {@link redactConfigText}. */
export interface ConfigRedaction {
  /** The configuration with secrets replaced (YAML; comments are dropped, they may hold old secrets). */
  text: string;
  /** `yaml` when the file parsed; `lines` when it did not and `key: value` lines were redacted one by one. */
  mode: "yaml" | "lines";
  /** Why the YAML did not parse (mode `lines`). */
  parseError?: string;
  /** Dotted keys (mode `yaml`) or line numbers (mode `lines`, `line 12`) whose values were redacted. */
  redacted: string[];
  /**
   * Every secret value found (literal text, the values of `${NAME}` references in secret places
   * from `env`, and their Basic-auth forms), for scrubbing the rest of the bundle. Never written.
   */
  secrets: string[];
}

const secretKeyPattern =
  /pass(word|wd|phrase)?$|secret|token|credential|cookie|authorization|^auth$|api[-_]?key|private[-_]?key|[-_]key$|^key$|signature|bearer|session[-_]?(id|key)/i;
const headerMaps = new Set(["headers", "x_headers"]);
const schemePrefix = /^(Bearer|Basic|Token|Digest|Negotiate|ApiKey)\s+/i;
const urlUserinfo = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:'"]*)(?::([^\s/@'"]*))?@/gi;
const secretQuery =
  /([?&](?:[^=&\s'"]*(?:token|secret|pass(?:word)?|key|auth|signature)[^=&\s'"]*)=)([^&\s'"#]+)/gi;
/** Shorter values are not scrubbed from other files: replacing them everywhere would ruin the bundle. */
const minScrubLength = 4;

/**
 * Whether a configuration key names a secret (password, token, secret, key material,
 * authorization, cookie, credentials…). `key` holding a file path (a TLS key file) is not a secret
 * itself; the file's content is, and is never copied.
 */
export function isSecretKey(key: string, value?: unknown): boolean {
  if (!secretKeyPattern.test(key)) return false;
  if (/(^|[-_])key$/i.test(key) && typeof value === "string" && looksLikePath(value)) return false;
  return true;
}

function looksLikePath(value: string): boolean {
  return /^(\/|\.\.?\/|~\/)/.test(value) || /\.(pem|key|crt)$/i.test(value);
}

interface Collector {
  env: Record<string, string | undefined>;
  redacted: string[];
  secrets: Set<string>;
}

function addSecret(c: Collector, value: string | undefined): void {
  if (value === undefined) return;
  const v = value.trim();
  if (v.length < minScrubLength) return;
  c.secrets.add(v);
}

/** Redacts a secret value, keeping `${NAME}` references (without defaults) and an auth scheme word. */
function redactSecretValue(value: string, c: Collector): string {
  const scheme = schemePrefix.exec(value)?.[0] ?? "";
  const body = value.slice(scheme.length);
  const parts: string[] = [];
  let last = 0;
  for (const m of body.matchAll(envReferencePattern)) {
    const literal = body.slice(last, m.index);
    if (literal !== "") parts.push(redactedMark);
    addSecret(c, literal);
    addSecret(c, m[2]);
    const name = m[1] ?? "";
    const resolved = c.env[name] ?? m[2];
    addSecret(c, resolved);
    if (resolved !== undefined)
      addSecret(c, schemePrefix.exec(resolved) ? resolved.replace(schemePrefix, "") : resolved);
    parts.push(m[2] !== undefined ? `\${${name}:-${redactedMark}}` : `\${${name}}`);
    last = (m.index ?? 0) + m[0].length;
  }
  const tail = body.slice(last);
  if (tail !== "") {
    parts.push(redactedMark);
    addSecret(c, tail);
  }
  if (scheme && body !== "") addSecret(c, restoreEnvValues(body, c));
  return `${scheme}${parts.join("")}`;
}

function restoreEnvValues(text: string, c: Collector): string {
  return text.replace(
    envReferencePattern,
    (ref, name: string, fallback?: string) => c.env[name] ?? fallback ?? ref,
  );
}

/**
 * Redacts userinfo passwords (`user:***@`, a lone token `***@`) and secret query parameters of
 * every URL in a text, collecting what it removed.
 */
function redactUrls(text: string, c: Collector): string {
  const withoutUserinfo = text.replace(urlUserinfo, (_, scheme: string, user: string, password?: string) => {
    if (password === undefined) {
      return user === "" ? `${scheme}@` : `${scheme}${redactSecretValue(user, c)}@`;
    }
    const plainUser = decodeURIComponentSafe(restoreEnvValues(user, c));
    const plainPassword = decodeURIComponentSafe(restoreEnvValues(password, c));
    addSecret(c, plainPassword);
    addSecret(c, Buffer.from(`${plainUser}:${plainPassword}`).toString("base64"));
    return `${scheme}${user}:${redactSecretValue(password, c)}@`;
  });
  return withoutUserinfo.replace(
    secretQuery,
    (_, key: string, value: string) => `${key}${redactSecretValue(value, c)}`,
  );
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function walk(value: unknown, path: string[], c: Collector, secretContext: boolean): unknown {
  const key = path.at(-1) ?? "";
  if (typeof value === "string") {
    if (secretContext || isSecretKey(key, value)) {
      c.redacted.push(path.join("."));
      return redactSecretValue(value, c);
    }
    const redacted = redactUrls(value, c);
    if (redacted !== value) c.redacted.push(path.join("."));
    return redacted;
  }
  if (typeof value === "number" && (secretContext || isSecretKey(key))) {
    c.redacted.push(path.join("."));
    addSecret(c, String(value));
    return redactedMark;
  }
  if (Array.isArray(value))
    return value.map((v, i) => walk(v, [...path.slice(0, -1), `${key}[${i}]`], c, secretContext));
  if (value && typeof value === "object") {
    const headers = headerMaps.has(key) && !path.includes("match");
    const entries = Object.entries(value).map(([k, v]) => [
      k,
      walk(
        v,
        [...path, k],
        c,
        secretContext || headers || (isSecretKey(k) && typeof v === "object" && v !== null),
      ),
    ]);
    collectBasicAuth(value as Record<string, unknown>, c);
    return Object.fromEntries(entries);
  }
  return value;
}

/** A `username` beside a `password` is sent as Basic credentials: scrub that form too. */
function collectBasicAuth(map: Record<string, unknown>, c: Collector): void {
  const user = map.username;
  const password = map.password;
  if (typeof user !== "string" || typeof password !== "string") return;
  const plain = `${restoreEnvValues(user, c)}:${restoreEnvValues(password, c)}`;
  addSecret(c, Buffer.from(plain).toString("base64"));
}

/**
 * Redacts a configuration file's text. Parses it as YAML with its `${…}` references, as the config
 * loader does, and redacts by key; when it does not parse, falls back to {@link redactConfigLines}.
 * @param env values of `${NAME}` references, collected into `secrets` (never into `text`).
 */
export function redactConfigText(
  text: string,
  env: Record<string, string | undefined> = {},
): ConfigRedaction {
  const c: Collector = { env, redacted: [], secrets: new Set() };
  let doc: unknown;
  try {
    doc = parseYamlWithReferences(text);
  } catch (err) {
    return redactConfigLines(text, env, (err as Error).message);
  }
  const redacted = walk(doc, [], c, false);
  const out = Bun.YAML.stringify(redacted, null, 2);
  return {
    text: out.endsWith("\n") ? out : `${out}\n`,
    mode: "yaml",
    redacted: c.redacted,
    secrets: [...c.secrets],
  };
}

const lineKeyValue =
  /(^|[{,\s-])(["']?)([A-Za-z0-9_.-]+)\2\s*:\s+("[^"]*"|'[^']*'|(?:\$\{[^}]*\}|[^,{}[\]#\s])(?:\$\{[^}]*\}|[^,}#])*?)(?=\s*(?:[,}]|#|$))/g;
const inlineScheme = /\b(Bearer|Basic|Token|Digest|ApiKey)\s+([A-Za-z0-9._~+/=-]{4,})/gi;

/**
 * Line-by-line redaction for a file that is not valid YAML: drops comments, redacts the value of
 * each `key: value` pair (block or flow style) whose key looks secret, every value on lines inside
 * a `headers:` block, `Bearer …`-style credentials, URL userinfo and secret query parameters.
 * @param parseError why the YAML parser refused the file, for the manifest.
 */
export function redactConfigLines(
  text: string,
  env: Record<string, string | undefined> = {},
  parseError = "not parsed",
): ConfigRedaction {
  const c: Collector = { env, redacted: [], secrets: new Set() };
  let headerIndent = -1;
  const lines = text.split("\n").map((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "");
    const indent = /^\s*/.exec(line)?.[0].length ?? 0;
    if (line.trim() !== "" && headerIndent >= 0 && indent <= headerIndent) headerIndent = -1;
    const inHeaders = headerIndent >= 0;
    if (/^\s*-?\s*(x_)?headers\s*:\s*$/.test(line)) headerIndent = indent;
    let changed = false;
    let out = line.replace(lineKeyValue, (whole, lead: string, _q: string, key: string, value: string) => {
      const secretHere = inHeaders || headerMaps.has(key) || isSecretKey(key, unquote(value));
      if (!secretHere || headerMaps.has(key)) return whole;
      changed = true;
      return `${lead}${key}: ${quoteLike(value, redactSecretValue(unquote(value), c))}`;
    });
    out = out.replace(/(headers\s*:\s*\{)([^}]*)\}/g, (_, open: string, body: string) => {
      changed = true;
      const pairs = body.split(",").map((pair) => {
        const colon = pair.indexOf(":");
        if (colon < 0) return pair;
        return `${pair.slice(0, colon)}: ${redactSecretValue(unquote(pair.slice(colon + 1).trim()), c)}`;
      });
      return `${open}${pairs.join(",")} }`;
    });
    out = out.replace(inlineScheme, (_, scheme: string, secret: string) => {
      if (secret.startsWith(redactedMark) || secret.startsWith("${")) return `${scheme} ${secret}`;
      changed = true;
      addSecret(c, secret);
      return `${scheme} ${redactedMark}`;
    });
    const urlsDone = redactUrls(out, c);
    if (urlsDone !== out) changed = true;
    if (changed) c.redacted.push(`line ${i + 1}`);
    return urlsDone;
  });
  return { text: lines.join("\n"), mode: "lines", parseError, redacted: c.redacted, secrets: [...c.secrets] };
}

function unquote(value: string): string {
  const v = value.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  return v;
}

function quoteLike(original: string, replacement: string): string {
  return original.trim().startsWith("'") || original.trim().startsWith('"')
    ? `"${replacement}"`
    : replacement;
}

/**
 * Every secret value in an already-parsed configuration object (the validated configuration, its
 * `${…}` already expanded), found as {@link redactConfigText} finds them, for scrubbing.
 */
export function secretsOf(value: unknown): string[] {
  const c: Collector = { env: {}, redacted: [], secrets: new Set() };
  walk(value, [], c, false);
  return [...c.secrets];
}

/**
 * Redacts the values of secret-looking variables (`WEB_TOKEN=…`, `MQTT_PASSWORD=…`) on the
 * `Environment=` lines of `systemctl show` output, collecting them.
 */
export function redactEnvironmentLines(text: string): { text: string; secrets: string[] } {
  const secrets: string[] = [];
  const out = text.replace(/^(Environment=)(.*)$/gm, (_, head: string, body: string) => {
    const redacted = body.replace(
      /\b([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g,
      (whole, name: string, value: string) => {
        if (!isSecretKey(name)) return whole;
        secrets.push(value.replace(/^"(.*)"$/, "$1"));
        return `${name}=${redactedMark}`;
      },
    );
    return `${head}${redacted}`;
  });
  return { text: out, secrets };
}
