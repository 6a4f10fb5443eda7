import { hostname } from "node:os";
import * as z from "zod";
import { parseBytes, parseDuration } from "../lib/index.ts";

/**
 * The configuration file's schema (DESIGN.md §7). Key names are a public interface: installed
 * appliances and acceptance tests depend on them, so keys are added, never renamed. Every key has
 * its default here and is documented in `packaging/config.example.yaml`.
 */

const listenPattern = /^(udp|tcp|tls):([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;
const hostPortPattern = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/;

const size = (fix: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = parseBytes(value);
    if (bytes === undefined)
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a size; ${fix}` });
    return bytes ?? 0;
  });

const duration = (fix: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined)
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(value)} is not a duration; ${fix}` });
    return ms ?? 0;
  });

const cidr = z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, {
  message: 'is not an address or CIDR block; write e.g. "10.0.0.0/8" or "192.0.2.10"',
});

const regex = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'is not a valid regular expression; write e.g. "^sip:1000@" (JavaScript syntax)' },
);

const sinkName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, { message: "use letters, digits, '_', '.' or '-' (e.g. ai)" });

const websocketSink = z
  .object({
    name: sinkName,
    type: z.literal("websocket"),
    url: z
      .string()
      .regex(/^wss?:\/\/\S+$/, { message: 'must be a ws:// or wss:// URL, e.g. "wss://host/stream"' }),
    protocol: z
      .literal("easp", { message: 'must be "easp" (other profiles come in a later release)' })
      .default("easp"),
    mode: z.enum(["interleaved", "per-participant"], {
      message: 'must be "interleaved" or "per-participant"',
    }),
    format: z
      .enum(["PCMU/8000", "PCMA/8000", "L16/8000"], {
        message: 'must be "PCMU/8000", "PCMA/8000" or "L16/8000"',
      })
      .default("PCMU/8000"),
    headers: z.record(z.string(), z.string()).default({}),
    replay: z
      .object({
        max_rate: z
          .number()
          .min(0, {
            message: "must be 0 (as fast as the receiver acknowledges) or a positive multiple of real time",
          })
          .default(0),
        strategy: z
          .enum(["in-order", "live-first"], { message: 'must be "in-order" or "live-first"' })
          .default("in-order"),
        threshold_ms: z.number().int().min(0).default(2000),
      })
      .strict()
      .prefault({}),
    circuit_breaker: z
      .object({
        failures: z.number().int().min(1).default(5),
        cool_down: duration('write e.g. "30s"').default(30_000),
      })
      .strict()
      .prefault({}),
    channel_order: z
      .enum(["customer-first", "agent-first", "label"], {
        message: 'must be "customer-first", "agent-first" or "label"',
      })
      .default("customer-first"),
  })
  .strict();

/** One routing rule: every key given under `match` must match; the first matching rule decides. */
const routingRule = z
  .object({
    name: z.string().optional(),
    match: z
      .object({
        source: z.array(cidr).optional(),
        request_uri: regex.optional(),
        headers: z.record(z.string(), regex).optional(),
        participant_aor: regex.optional(),
        label: regex.optional(),
        correlation: z.record(z.string(), regex).optional(),
        metadata_xml: regex.optional(),
      })
      .strict()
      .prefault({}),
    sinks: z.array(sinkName),
  })
  .strict();

const partyOverride = z
  .object({ name: z.string().optional(), user: z.string().optional(), label: z.string().optional() })
  .strict()
  .optional();

/** A SIPREC forwarding sink: we act as SRC towards a remote SRS (RFC 7866 §6, DESIGN.md §5). */
const siprecSink = z
  .object({
    name: sinkName,
    type: z.literal("siprec"),
    uri: z.string().regex(/^sips?:\S+$/i, {
      message: 'must be a sip: or sips: URI, e.g. "sip:srs.example.com;transport=tcp"',
    }),
    codec: z
      .enum(["PCMU/8000", "PCMA/8000"], { message: 'must be "PCMU/8000" or "PCMA/8000"' })
      .default("PCMU/8000"),
    srtp: z
      .enum(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"], {
        message: 'must be "AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32"',
      })
      .optional(),
    x_headers: z
      .record(
        z.string().regex(/^X-[A-Za-z0-9-]+$/i, { message: "header names must start with X-" }),
        z.string().regex(/^[^\r\n]*$/, { message: "must be one line" }),
      )
      .default({}),
    caller: partyOverride,
    called_party: partyOverride,
    options_ping: duration('write e.g. "30s"; 0 turns OPTIONS pings off').default(30_000),
    session_expires: duration('write e.g. "30m"').default(1_800_000),
    replay: z
      .object({
        max_rate: z
          .number()
          .positive({ message: "must be a positive multiple of real time, e.g. 1" })
          .default(1),
        max_concurrent: z.number().int().min(1).default(2),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((sink, ctx) => {
    const secure = /^sips:/i.test(sink.uri) || /;transport=tls\b/i.test(sink.uri);
    if (sink.srtp && !secure) {
      ctx.addIssue({
        code: "custom",
        path: ["srtp"],
        message: "SRTP keys travel in the SDP: use a sips: URI or ;transport=tls",
      });
    }
  });

/** The raw schema of the YAML file (snake_case keys, as users write them). */
export const configSchema = z
  .object({
    appliance_id: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, {
        message: "use letters, digits, '_', '.' or '-' (it is part of MQTT topics)",
      })
      .default(() => hostname().replace(/[^A-Za-z0-9_.-]/g, "-")),
    sip: z
      .object({
        listen: z
          .array(
            z.string().regex(listenPattern, {
              message:
                'is not a listen address; write "udp:HOST:PORT", "tcp:HOST:PORT" or "tls:HOST:PORT", e.g. "udp:0.0.0.0:5060"',
            }),
          )
          .min(1, { message: 'needs at least one address, e.g. ["udp:0.0.0.0:5060"]' })
          .default(["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]),
        allow_from: z.array(cidr).default([]),
        user_agent: z.string().default("siprec-edge"),
        dns_servers: z
          .array(
            z.string().regex(/^([0-9.]+|\[[0-9a-fA-F:]+\])(:\d{1,5})?$/, {
              message:
                'is not a DNS server address; write "IP" or "IP:PORT", e.g. "10.0.0.2" or "127.0.0.1:5353"',
            }),
          )
          .default([]),
        tls: z
          .object({
            cert: z.string().optional(),
            key: z.string().optional(),
            ca: z.string().optional(),
            verify_clients: z.boolean().default(false),
          })
          .strict()
          .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
            message: "cert and key go together (the TLS listener's certificate needs its private key)",
          })
          .optional(),
      })
      .strict()
      .superRefine((sip, ctx) => {
        if (sip.listen.some((l) => l.startsWith("tls:")) && !sip.tls?.cert) {
          ctx.addIssue({
            code: "custom",
            path: ["tls"],
            message: "a tls: listener needs sip.tls.cert and sip.tls.key (PEM files)",
          });
        }
      })
      .prefault({}),
    media: z
      .object({
        address: z.string().default("0.0.0.0"),
        advertise: z.string().optional(),
        port_range: z
          .tuple([z.number().int().min(1024).max(65534), z.number().int().min(1025).max(65535)])
          .refine(([lo, hi]) => hi > lo + 2, {
            message: "must be [low, high] with high > low + 2, e.g. [20000, 29999]",
          })
          .default([20000, 29999]),
        reorder_ms: z.number().int().min(0).max(1000).default(60),
        latch: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    spool: z
      .object({
        path: z.string().default("/var/lib/siprec-edge/spool.db"),
        commit_interval_ms: z.number().int().min(1).max(10_000).default(100),
        synchronous: z.enum(["normal", "full"], { message: 'must be "normal" or "full"' }).default("normal"),
        max_bytes: size('write e.g. "20GB" or "512MiB"').default(20e9),
        min_free_disk: size('write e.g. "2GB"').default(2e9),
        retain: duration('write e.g. "24h", "90m" or "7d"').default(86_400_000),
      })
      .strict()
      .prefault({}),
    capture: z
      .object({
        enabled: z.boolean({ message: "must be true or false" }).default(true),
        path: z
          .string()
          .min(1, { message: 'must name a folder, e.g. "/var/lib/siprec-edge/captures"' })
          .optional(),
        max_bytes: size('write e.g. "2GB" or "500MiB"').default(2e9),
        sip_messages: z
          .number({ message: "must be a number of messages, e.g. 500" })
          .int({ message: "must be a whole number of messages, e.g. 500" })
          .min(0, { message: "must be 0 (no ring) or more, e.g. 500" })
          .max(100_000, { message: "must be at most 100000" })
          .default(500),
      })
      .strict()
      .prefault({}),
    srs: z
      .object({
        role_order: z
          .enum(["customer-first", "agent-first"], { message: 'must be "customer-first" or "agent-first"' })
          .default("customer-first"),
        agent_aor_pattern: z.string().optional(),
        agent_labels: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    sinks: z
      .array(
        z.discriminatedUnion("type", [websocketSink, siprecSink], {
          message: 'needs type "websocket" (EASP audio stream) or "siprec" (forward as SRC to a remote SRS)',
        }),
      )
      .default([]),
    mqtt: z
      .object({
        url: z.string().regex(/^mqtts?:\/\/\S+$/, {
          message: 'must be an mqtt:// or mqtts:// URL, e.g. "mqtt://broker:1883"',
        }),
        username: z.string().optional(),
        password: z.string().optional(),
        topic_prefix: z
          .string()
          .regex(/^[^#+\s]+$/, { message: "must not contain spaces, '#' or '+'" })
          .default("siprec-edge"),
        client_id: z.string().min(1).optional(),
        session_expiry: duration('write e.g. "1h" or "10m"').default(3_600_000),
        tls: z
          .object({
            ca: z.string().optional(),
            cert: z.string().optional(),
            key: z.string().optional(),
            reject_unauthorized: z.boolean().default(true),
          })
          .strict()
          .refine((tls) => (tls.cert === undefined) === (tls.key === undefined), {
            message: "cert and key go together (a client certificate needs its private key)",
          })
          .optional(),
      })
      .strict()
      .optional(),
    routing: z
      .object({
        rules: z.array(routingRule).default([]),
        default_sinks: z.union([z.literal("all"), z.array(sinkName)]).default("all"),
        new_call_webhook: z
          .object({
            url: z.string().regex(/^https?:\/\/\S+$/, {
              message: 'must be an http:// or https:// URL, e.g. "http://127.0.0.1:9000/new-call"',
            }),
            timeout: duration('write e.g. "2s" or "500ms"').default(2_000),
            headers: z.record(z.string(), z.string()).default({}),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    web: z
      .object({
        listen: z
          .string()
          .regex(hostPortPattern, { message: 'must be "HOST:PORT", e.g. "127.0.0.1:8080"' })
          .default("127.0.0.1:8080"),
        auth: z
          .object({
            token: z.string().min(16, { message: "must be at least 16 characters" }).optional(),
            username: z.string().optional(),
            password: z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z
          .enum(["debug", "info", "warn", "error"], { message: 'must be "debug", "info", "warn" or "error"' })
          .default("info"),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = new Set<string>();
    cfg.sinks.forEach((sink, i) => {
      if (names.has(sink.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["sinks", i, "name"],
          message: `"${sink.name}" is used twice; give each sink its own name`,
        });
      }
      names.add(sink.name);
    });
    const known = (name: string, path: (string | number)[]): void => {
      if (!names.has(name)) {
        ctx.addIssue({
          code: "custom",
          path,
          message: `names no sink; use one of: ${[...names].join(", ") || "(no sinks configured)"}`,
        });
      }
    };
    cfg.routing.rules.forEach((rule, i) => {
      rule.sinks.forEach((name, j) => {
        known(name, ["routing", "rules", i, "sinks", j]);
      });
    });
    if (cfg.routing.default_sinks !== "all") {
      cfg.routing.default_sinks.forEach((name, j) => {
        known(name, ["routing", "default_sinks", j]);
      });
    }
    if (cfg.srs.agent_aor_pattern !== undefined) {
      try {
        new RegExp(cfg.srs.agent_aor_pattern);
      } catch {
        ctx.addIssue({
          code: "custom",
          path: ["srs", "agent_aor_pattern"],
          message: "is not a valid regular expression",
        });
      }
    }
  });

/** The validated configuration, snake_case as in the file, defaults filled in. */
export type RawConfig = z.output<typeof configSchema>;

/** The `routing` section: rules, default sinks and the optional new-call webhook. */
export type RoutingConfig = RawConfig["routing"];

/** One sink as configured: a WebSocket (EASP) or a SIPREC forwarding sink. */
export type SinkConfigEntry = RawConfig["sinks"][number];

/** One WebSocket sink as configured. */
export type WebSocketSinkEntry = Extract<SinkConfigEntry, { type: "websocket" }>;

/** One SIPREC forwarding sink as configured. */
export type SiprecSinkEntry = Extract<SinkConfigEntry, { type: "siprec" }>;
