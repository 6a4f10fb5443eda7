import * as z from "zod";
import { EASP_VERSION } from "./constants.ts";
import { EaspProtocolError } from "./errors.ts";
import type { ClientMessage, ServerMessage } from "./messages.ts";

/*
 * Schemas of the JSON messages of EASP.md §4. `z.object` drops unknown fields, which is the
 * protocol's rule ("unknown fields MUST be ignored"); `v` must be 1.
 */

const seq = z.int().min(0);
const count = z.int().min(0);
const v = z.literal(EASP_VERSION);
const window = z.object({ ms: z.number().positive(), bytes: z.number().positive() });

const channelMapEntry = z.object({
  channel: count,
  participantId: z.string(),
  siprecStreamId: z.string(),
  label: z.string(),
});

const streamDescShape = {
  streamId: z.int().min(0).max(0xffff_ffff),
  label: z.string(),
  codec: z.enum(["PCMU", "PCMA", "L16"]),
  rate: z.int().positive(),
  channels: z.int().min(1).max(8),
  channelMap: z.array(channelMapEntry),
  firstPos: count,
  clock: z.enum(["rtcp-sr", "arrival"]),
  recordMs: z.number().positive(),
};

const errorSchema = z.object({
  type: z.literal("error"),
  v,
  code: z.int(),
  message: z.string(),
  retryAfterMs: z.number().min(0).optional(),
  fatal: z.boolean().optional(),
});

const clientSchemas = {
  open: z.object({
    type: z.literal("open"),
    v,
    sessionId: z.string().min(1),
    resume: z.boolean(),
    nextSeq: z.int().min(1),
    callId: z.string().min(1),
    segment: count,
    continuationOf: z.string().nullable(),
    callEpoch: z.string(),
    mode: z.enum(["interleaved", "per-participant", "multiplex"]),
    recording: z.object({
      siprecSessionId: z.string(),
      sipCallId: z.string(),
      src: z.string(),
      startTime: z.string(),
      metadataXml: z.string().optional(),
    }),
    participants: z.array(
      z.object({ participantId: z.string(), aor: z.string(), name: z.string(), role: z.string() }),
    ),
    streams: z.array(z.object(streamDescShape)),
    appliance: z.object({
      id: z.string(),
      version: z.string(),
      clock: z.object({ sync: z.enum(["ntp", "ptp", "none"]), offsetUs: z.number().optional() }),
    }),
    capabilities: z.object({ maxMessageBytes: z.int().positive(), replay: z.literal(true) }),
  }),
  "stream.start": z.object({ type: z.literal("stream.start"), v, seq, ...streamDescShape }),
  "stream.end": z.object({
    type: z.literal("stream.end"),
    v,
    seq,
    streamId: z.int().min(0),
    endPos: count,
    endCaptureTime: z.int(),
    reason: z.string(),
  }),
  metadata: z.object({
    type: z.literal("metadata"),
    v,
    seq,
    captureTime: z.int(),
    changes: z.array(z.unknown()),
    metadataXml: z.string().optional(),
  }),
  event: z.object({
    type: z.literal("event"),
    v,
    seq,
    streamId: z.int().min(0),
    pos: count,
    captureTime: z.int(),
    kind: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
  sync: z.object({ type: z.literal("sync"), v }),
  ping: z.object({ type: z.literal("ping"), v, t: z.number() }),
  close: z.object({
    type: z.literal("close"),
    v,
    reason: z.enum(["end", "shutdown", "error", "reconnect"]),
    finalSeq: seq,
  }),
  error: errorSchema,
} satisfies { [K in ClientMessage["type"]]: z.ZodType<Extract<ClientMessage, { type: K }>> };

const serverSchemas = {
  opened: z.object({
    type: z.literal("opened"),
    v,
    sessionId: z.string(),
    nextSeq: z.int().min(1),
    window,
    ackIntervalMs: z.number().positive(),
    maxMessageBytes: z.int().positive(),
    replay: z.object({ maxRate: z.number().min(0) }),
    discardBefore: z.string().optional(),
    startPaused: z.boolean().optional(),
  }),
  ack: z.object({ type: z.literal("ack"), v, seq }),
  flow: z.object({ type: z.literal("flow"), v, pause: z.boolean().optional(), window: window.optional() }),
  pause: z.object({ type: z.literal("pause"), v }),
  resume: z.object({ type: z.literal("resume"), v, from: z.enum(["now", "paused"]).optional() }),
  error: errorSchema,
  close: z.object({
    type: z.literal("close"),
    v,
    reason: z.string(),
    retryAfterMs: z.number().min(0).optional(),
  }),
  closed: z.object({ type: z.literal("closed"), v, finalSeq: seq }),
  pong: z.object({ type: z.literal("pong"), v, t: z.number() }),
  result: z.looseObject({
    type: z.literal("result"),
    v,
    streamId: z.int().min(0).optional(),
    pos: count.optional(),
  }),
} satisfies { [K in ServerMessage["type"]]: z.ZodType<Extract<ServerMessage, { type: K }>> };

function parseWith<M>(text: string, schemas: Record<string, z.ZodType<M>>): M | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new EaspProtocolError("EASP_MESSAGE_MALFORMED", "text message is not JSON");
  }
  if (typeof json !== "object" || json === null || typeof (json as { type?: unknown }).type !== "string") {
    throw new EaspProtocolError("EASP_MESSAGE_MALFORMED", "text message without a string `type`");
  }
  const type = (json as { type: string }).type;
  const schema = Object.hasOwn(schemas, type) ? schemas[type] : undefined;
  if (!schema) return null;
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join(".") || "(message)";
    throw new EaspProtocolError(
      "EASP_MESSAGE_MALFORMED",
      `${type}: ${where}: ${issue?.message ?? "invalid"}`,
    );
  }
  return result.data;
}

/**
 * Parses a text message a receiver got from a client (EASP.md §4, client → server).
 * @returns the message (unknown fields dropped), or null for a `type` this version does not know
 *   (the caller logs and ignores it).
 * @throws EaspProtocolError `EASP_MESSAGE_MALFORMED` for non-JSON text, a missing `type`, `v ≠ 1`
 *   or a field of the wrong shape.
 */
export function parseClientMessage(text: string): ClientMessage | null {
  return parseWith<ClientMessage>(text, clientSchemas);
}

/**
 * Parses a text message a client got from a server (EASP.md §4, server → client).
 * @returns the message (unknown fields dropped, except on `result`), or null for an unknown `type`.
 * @throws EaspProtocolError `EASP_MESSAGE_MALFORMED` as {@link parseClientMessage}.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  return parseWith<ServerMessage>(text, serverSchemas);
}
