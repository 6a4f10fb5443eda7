import { accessSync, constants, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { z } from "zod";
import { envReferencePattern, parseYamlWithReferences, SrsError } from "../lib/index.ts";
import { configSchema, type RawConfig } from "./config-schema.ts";

/** The validated configuration with defaults filled in and relative paths resolved. */
export type AppConfig = RawConfig;

/** One problem found in a configuration file: the dotted key and what to do about it. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `sinks[0].url` or `sip` (for an unknown key under `sip`). */
  key: string;
  /** What is wrong and how to fix it. */
  message: string;
}

/** Thrown when a configuration file cannot be read, parsed or validated. Lists every issue. */
export class ConfigError extends SrsError {
  readonly code = "CONFIG_INVALID";

  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.key}: ${i.message}`).join("; ")}`);
  }
}

/**
 * Reads, expands (`${ENV}` and `${ENV:-default}` in string values), validates and resolves a YAML
 * configuration file. Relative paths (spool.path, capture.path, mqtt.tls.*) resolve against the file's folder (DESIGN.md §7).
 * @throws ConfigError naming each bad key and its fix.
 */
export function loadConfig(file: string, env: Record<string, string | undefined> = process.env): AppConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ key: "(file)", message: `cannot be read (${(err as Error).message})` }]);
  }
  const config = parseConfig(text, file, env);
  checkFilesReadable(config, file);
  return config;
}

/**
 * The files a configuration names must be readable when it is loaded (so `check-config` catches
 * them and `run` fails before it touches the spool): the PEM files of `mqtt.tls` and `sip.tls`.
 * @throws ConfigError naming the key of each unreadable file.
 */
function checkFilesReadable(config: AppConfig, file: string): void {
  const issues: ConfigIssue[] = [];
  const sections = [
    ["mqtt.tls", config.mqtt?.tls],
    ["sip.tls", config.sip.tls],
  ] as const;
  for (const [section, tls] of sections) {
    if (!tls) continue;
    for (const key of ["ca", "cert", "key"] as const) {
      const path = tls[key];
      if (path === undefined) continue;
      try {
        accessSync(path, constants.R_OK);
      } catch (err) {
        issues.push({
          key: `${section}.${key}`,
          message: `${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); give a readable PEM file`,
        });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(file, issues);
}

/**
 * Validates configuration text as {@link loadConfig} does; `file` names it in errors and anchors
 * relative paths.
 * @throws ConfigError
 */
export function parseConfig(
  text: string,
  file: string,
  env: Record<string, string | undefined> = process.env,
): AppConfig {
  let doc: unknown;
  try {
    doc = parseYamlWithReferences(text);
  } catch (err) {
    throw new ConfigError(file, [{ key: "(yaml)", message: `is not valid YAML: ${(err as Error).message}` }]);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ConfigError(file, [
      { key: "(yaml)", message: "must be a mapping of keys (appliance_id, sip, media, …)" },
    ]);
  }
  const envIssues: ConfigIssue[] = [];
  const expanded = expandEnv(doc, "", env, envIssues);
  if (envIssues.length > 0) throw new ConfigError(file, envIssues);
  const result = configSchema.safeParse(expanded);
  if (!result.success)
    throw new ConfigError(
      file,
      result.error.issues.flatMap((issue) => describeIssue(issue, expanded)),
    );
  const config = result.data;
  const folder = dirname(resolve(file));
  const anchored = (path: string): string => (isAbsolute(path) ? path : resolve(folder, path));
  config.spool.path = anchored(config.spool.path);
  config.capture.path = anchored(config.capture.path ?? join(dirname(config.spool.path), "captures"));
  for (const tls of [config.mqtt?.tls, config.sip.tls]) {
    if (!tls) continue;
    if (tls.ca) tls.ca = anchored(tls.ca);
    if (tls.cert) tls.cert = anchored(tls.cert);
    if (tls.key) tls.key = anchored(tls.key);
  }
  return config;
}

function expandEnv(
  value: unknown,
  key: string,
  env: Record<string, string | undefined>,
  issues: ConfigIssue[],
): unknown {
  if (typeof value === "string") {
    return value.replace(envReferencePattern, (_, name: string, fallback?: string) => {
      const found = env[name] ?? fallback;
      if (found === undefined) {
        issues.push({
          key,
          message: `uses \${${name}}, but the environment variable ${name} is not set; set it or write \${${name}:-default}`,
        });
        return "";
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, `${key}[${i}]`, env, issues));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, expandEnv(v, key ? `${key}.${k}` : k, env, issues)]),
    );
  }
  return value;
}

function dotted(path: PropertyKey[]): string {
  return path.reduce<string>((acc, part) => {
    if (typeof part === "number") return `${acc}[${part}]`;
    return acc ? `${acc}.${String(part)}` : String(part);
  }, "");
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): ConfigIssue[] {
  const key = dotted(issue.path) || "(top level)";
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((unknown) => {
      const known = knownKeys(issue.path, input);
      const near = closest(unknown, known);
      const hint = near ? `did you mean "${near}"?` : `known keys here: ${known.join(", ")}`;
      return {
        key: issue.path.length ? `${key}.${unknown}` : unknown,
        message: `is not a known key; ${hint}`,
      };
    });
  }
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ key, message: "is required" }];
  }
  return [{ key, message: issue.message }];
}

type SchemaNode = {
  _zod: {
    def: {
      type: string;
      innerType?: SchemaNode;
      element?: SchemaNode;
      shape?: Record<string, SchemaNode>;
      options?: SchemaNode[];
      discriminator?: string;
      values?: unknown[];
    };
  };
};

/**
 * The keys the schema knows at `path`, walking the input beside the schema so that a
 * discriminated union (a sink's `type`) offers the keys of the variant the input chose.
 */
function knownKeys(path: PropertyKey[], input: unknown): string[] {
  let node = configSchema as unknown as SchemaNode;
  let value = input;
  for (const part of [...path, ""]) {
    node = unwrap(node, value);
    if (part === "") break;
    const def = node._zod.def;
    const next = typeof part === "number" ? def.element : def.shape?.[String(part)];
    if (!next) return [];
    node = next;
    value = (value as Record<PropertyKey, unknown> | undefined)?.[part];
  }
  return Object.keys(node._zod.def.shape ?? {});
}

/** Strips defaults/optionals and picks a discriminated union's variant by the input's discriminator. */
function unwrap(node: SchemaNode, value: unknown): SchemaNode {
  let current = node;
  for (;;) {
    const def = current._zod.def;
    if (def.innerType) current = def.innerType;
    else if (def.options && def.discriminator) {
      const tag = (value as Record<string, unknown> | undefined)?.[def.discriminator];
      const chosen = def.options.find((o) =>
        unwrap(o, undefined)._zod.def.shape?.[def.discriminator ?? ""]?._zod.def.values?.includes(tag),
      );
      if (!chosen) return current;
      current = chosen;
    } else return current;
  }
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
