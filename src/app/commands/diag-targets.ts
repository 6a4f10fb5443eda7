import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { envReferencePattern, parseYamlWithReferences } from "../../lib/index.ts";
import type { DaemonApi, DaemonAuth, ReachTarget } from "../../tools/index.ts";
import { runCommand } from "../../tools/index.ts";

/** What `diag` needs from the configuration: where things are and what to probe. */
export interface DiagTargets {
  applianceId: string;
  /** The spool's SQLite file (absolute). */
  spoolPath: string;
  /** The per-call capture folder: config `capture.path`, default `<spool folder>/captures`. */
  capturePath: string;
  /** The daemon's API on `web.listen`, with `web.auth`. */
  api: DaemonApi;
  /** Ports of `sip.listen`. */
  sipPorts: number[];
  /** `media.port_range`. */
  mediaPorts: [number, number];
  /** Broker, sinks and the new-call webhook. */
  reach: ReachTarget[];
}

type Loose = Record<string, unknown>;

const asMap = (v: unknown): Loose => (v && typeof v === "object" && !Array.isArray(v) ? (v as Loose) : {});
const asString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function readPem(path: string | undefined, folder: string): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(isAbsolute(path) ? path : resolve(folder, path), "utf8");
  } catch {
    return undefined;
  }
}

/** `web.listen` as a URL a local client can use (a wildcard address becomes loopback). */
export function webBaseUrl(listen: string): string {
  const local = listen.replace(/^0\.0\.0\.0:/, "127.0.0.1:").replace(/^\[::\]:/, "[::1]:");
  return `http://${local}`;
}

/**
 * Reads the diagnostics targets from a configuration document: the validated configuration (with
 * defaults filled in) or, when it does not validate, the raw YAML document with `${…}` expanded;
 * keys missing from a raw document take the defaults of DESIGN.md §7.
 * @param file the configuration file, whose folder anchors relative paths.
 */
export function diagTargets(doc: unknown, file: string): DiagTargets {
  const folder = dirname(resolve(file));
  const root = asMap(doc);
  const anchored = (p: string): string => (isAbsolute(p) ? p : resolve(folder, p));
  const spoolPath = anchored(asString(asMap(root.spool).path) ?? "/var/lib/siprec-edge/spool.db");
  const capture = asString(asMap(root.capture).path);
  const web = asMap(root.web);
  const auth = asMap(web.auth);
  const token = asString(auth.token);
  const username = asString(auth.username);
  const password = asString(auth.password);
  const apiAuth: DaemonAuth | undefined = token
    ? { token }
    : username && password
      ? { username, password }
      : undefined;
  const sip = asMap(root.sip);
  const listen = Array.isArray(sip.listen) ? sip.listen.filter((l) => typeof l === "string") : [];
  const sipPorts = (listen.length > 0 ? listen : ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"])
    .map((l) => Number(/:(\d{1,5})$/.exec(l)?.[1]))
    .filter((p) => Number.isInteger(p) && p > 0);
  const range = asMap(root.media).port_range;
  const mediaPorts: [number, number] =
    Array.isArray(range) && typeof range[0] === "number" && typeof range[1] === "number"
      ? [range[0], range[1]]
      : [20000, 29999];
  const dnsServers = Array.isArray(sip.dns_servers)
    ? sip.dns_servers.filter((s) => typeof s === "string")
    : [];
  const sipCa = readPem(asString(asMap(sip.tls).ca), folder);
  const reach: ReachTarget[] = [];
  const mqtt = asMap(root.mqtt);
  const mqttUrl = asString(mqtt.url);
  if (mqttUrl) {
    const ca = readPem(asString(asMap(mqtt.tls).ca), folder);
    reach.push({ name: "mqtt", address: mqttUrl, ...(ca ? { ca } : {}) });
  }
  const sinks = Array.isArray(root.sinks) ? root.sinks : [];
  sinks.forEach((entry, i) => {
    const sink = asMap(entry);
    const name = `sink ${asString(sink.name) ?? `#${i}`}`;
    const url = asString(sink.url);
    const uri = asString(sink.uri);
    if (url) reach.push({ name, address: url });
    else if (uri) {
      reach.push({
        name,
        address: uri,
        ...(dnsServers.length > 0 ? { dnsServers } : {}),
        ...(sipCa ? { ca: sipCa } : {}),
      });
    }
  });
  const webhook = asString(asMap(asMap(root.routing).new_call_webhook).url);
  if (webhook) reach.push({ name: "new_call_webhook", address: webhook });
  return {
    applianceId: asString(root.appliance_id) ?? hostname().replace(/[^A-Za-z0-9_.-]/g, "-"),
    spoolPath,
    capturePath: capture ? anchored(capture) : join(dirname(spoolPath), "captures"),
    api: {
      baseUrl: webBaseUrl(asString(web.listen) ?? "127.0.0.1:8080"),
      ...(apiAuth ? { auth: apiAuth } : {}),
    },
    sipPorts,
    mediaPorts,
    reach,
  };
}

/**
 * Parses configuration text leniently for `diag` when it does not validate: YAML with its `${…}`
 * references (as the config loader reads it), expanded from `env` where they can be.
 * @returns the document, or undefined when the text is not YAML at all.
 */
export function parseLoose(text: string, env: Record<string, string | undefined>): unknown {
  let doc: unknown;
  try {
    doc = parseYamlWithReferences(text);
  } catch {
    return undefined;
  }
  return expandReferences(doc, env);
}

/**
 * Expands `${NAME}` and `${NAME:-default}` in every string of a parsed YAML document; a reference
 * with neither a value nor a default stays as written.
 */
export function expandReferences(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === "string") {
    return value.replace(
      envReferencePattern,
      (ref, name: string, fallback?: string) => env[name] ?? fallback ?? ref,
    );
  }
  if (Array.isArray(value)) return value.map((v) => expandReferences(v, env));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expandReferences(v, env)]));
  }
  return value;
}

/**
 * The environment of the running daemon (`/proc/<MainPID>/environ` of the systemd unit), so the
 * configuration's `${…}` references resolve as they do for the daemon (a technician's shell
 * rarely has `WEB_TOKEN`). Empty when systemd, the unit or the process cannot be read.
 * @returns the variables and a note on where they came from or why not.
 */
export async function daemonEnvironment(): Promise<{ env: Record<string, string>; note: string }> {
  try {
    const shown = await runCommand(["systemctl", "show", "-p", "MainPID", "--value", "siprec-edge"], {
      timeoutMs: 3000,
    });
    const pid = Number(shown.stdout.toString("utf8").trim());
    if (shown.exitCode !== 0 || !Number.isInteger(pid) || pid <= 0) {
      return { env: {}, note: `the siprec-edge unit has no running process; \${…} resolve from this shell` };
    }
    const env: Record<string, string> = {};
    for (const entry of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
      const eq = entry.indexOf("=");
      if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return { env, note: `\${…} resolve from the daemon's environment (pid ${pid})` };
  } catch (err) {
    return {
      env: {},
      note: `daemon environment not read (${(err as Error).message}); \${…} resolve from this shell`,
    };
  }
}
