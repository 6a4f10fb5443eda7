import * as z from "zod";
import type { CommandEnvelope, CommandParams } from "./command-types.ts";
import type { CommandName } from "./commands.ts";

/** The longest `reason` of pauseRecording / resumeRecording, characters. */
export const maxPauseReasonLength = 200;

/** `listCalls.limit` bounds. */
export const listLimits = { min: 1, max: 1000, default: 100 } as const;

/** `testCall.durationS` bounds, seconds. */
export const testCallDurationS = { min: 1, max: 60, default: 10 } as const;

const sinkName = /^[A-Za-z0-9_.-]+$/;
// RFC 9110 §5.6.2 token: what an HTTP header field name may be.
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const noLineBreak = /^[^\r\n]*$/;

/** The envelope field every command accepts: the command must not run after `expiresAt`. */
const envelope = { expiresAt: z.iso.datetime({ offset: true }).optional() };

const address = {
  sessionId: z.uuidv7().optional(),
  correlationId: z.string().min(1).max(256).optional(),
};

/** Refuses a call address with neither or both ids, on field `sessionId`. */
function exactlyOneAddress(ctx: z.core.ParsePayload<{ sessionId?: string; correlationId?: string }>): void {
  const { sessionId, correlationId } = ctx.value;
  if ((sessionId === undefined) !== (correlationId === undefined)) return;
  ctx.issues.push({
    code: "custom",
    path: ["sessionId"],
    input: ctx.value,
    message:
      sessionId === undefined
        ? "is required: address the call by sessionId (our call id) or by correlationId (UCID, Cisco GUID, SIP Call-ID or SIPREC session id)"
        : "and correlationId were both given: address the call by exactly one of them",
  });
}

const sink = z.string().regex(sinkName);

const party = z.strictObject({
  name: z.string().max(256).regex(noLineBreak).optional(),
  user: z
    .string()
    .max(256)
    .regex(/^[^\s@<>"]+$/)
    .optional(),
  label: z
    .string()
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/)
    .optional(),
});

/** One strict schema per command (unknown keys refused), each with the envelope field. */
export const commandSchemas = {
  startStream: z
    .strictObject({
      ...envelope,
      ...address,
      sink,
      url: z.url({ protocol: /^wss?$/ }).optional(),
      protocol: z.literal("easp").optional(),
      mode: z.enum(["interleaved", "per-participant"]).optional(),
      format: z.enum(["PCMU/8000", "PCMA/8000", "L16/8000"]).optional(),
      headers: z.record(z.string().regex(headerName), z.string().regex(noLineBreak)).optional(),
    })
    .check(exactlyOneAddress),
  stopStream: z.strictObject({ ...envelope, ...address, sink }).check(exactlyOneAddress),
  startSIPRecForward: z
    .strictObject({
      ...envelope,
      ...address,
      sink,
      uri: z
        .string()
        .regex(/^sips?:\S+$/i)
        .optional(),
      codec: z.enum(["PCMU/8000", "PCMA/8000"]).optional(),
      srtp: z.enum(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"]).optional(),
      caller: party.optional(),
      calledParty: party.optional(),
      xHeaders: z.record(z.string().regex(/^X-[A-Za-z0-9-]+$/i), z.string().regex(noLineBreak)).optional(),
      reference: z.record(z.string(), z.unknown()).optional(),
    })
    .check(exactlyOneAddress),
  stopSIPRecForward: z.strictObject({ ...envelope, ...address, sink }).check(exactlyOneAddress),
  pauseRecording: z
    .strictObject({ ...envelope, ...address, reason: z.string().max(maxPauseReasonLength).optional() })
    .check(exactlyOneAddress),
  resumeRecording: z
    .strictObject({ ...envelope, ...address, reason: z.string().max(maxPauseReasonLength).optional() })
    .check(exactlyOneAddress),
  getStatus: z.strictObject({ ...envelope }),
  listCalls: z.strictObject({
    ...envelope,
    state: z.enum(["live", "completed", "recovered", "all"]).default("live"),
    limit: z.int().min(listLimits.min).max(listLimits.max).default(listLimits.default),
  }),
  reloadConfig: z.strictObject({ ...envelope }),
  drain: z.strictObject({ ...envelope, cancel: z.boolean().default(false) }),
  testCall: z.strictObject({
    ...envelope,
    durationS: z
      .int()
      .min(testCallDurationS.min)
      .max(testCallDurationS.max)
      .default(testCallDurationS.default),
  }),
} satisfies { [N in CommandName]: z.ZodType<CommandParams[N] & CommandEnvelope> };

/**
 * What a valid value of each parameter looks like, as the end of an error message
 * ("give <hint>"); keyed by the parameter's top-level name.
 */
export const parameterHints: Record<string, string> = {
  sessionId: "our call id, a UUIDv7 such as the sessionId of SESSIONSTARTED",
  correlationId:
    "a correlation id of the call (UCID, Cisco GUID, SIP Call-ID or SIPREC session id), 1..256 characters",
  sink: "the name of a configured sink (letters, digits, '_', '.', '-')",
  url: "a ws:// or wss:// URL",
  uri: 'a sip: or sips: URI, e.g. "sips:srs.example.com"',
  codec: '"PCMU/8000" or "PCMA/8000"',
  srtp: '"AES_CM_128_HMAC_SHA1_80" or "AES_CM_128_HMAC_SHA1_32" (needs sips: or ;transport=tls)',
  caller: 'an object {name?, user?, label?}, e.g. {"name":"Customer","label":"1"}',
  calledParty: 'an object {name?, user?, label?}, e.g. {"name":"Agent 42"}',
  xHeaders: 'an object of X- header name → text, e.g. {"X-Tenant":"acme"}',
  reference: "any JSON object; it is echoed in the SIPRECFORWARD events",
  protocol: '"easp"',
  mode: '"interleaved" or "per-participant"',
  format: '"PCMU/8000", "PCMA/8000" or "L16/8000"',
  headers: 'an object of header name → text, e.g. {"X-Tenant":"acme"}',
  reason: `a text of at most ${maxPauseReasonLength} characters, e.g. "PCI"`,
  state: '"live", "completed", "recovered" or "all"',
  limit: `an integer from ${listLimits.min} to ${listLimits.max}`,
  cancel: "true or false",
  durationS: `an integer number of seconds from ${testCallDurationS.min} to ${testCallDurationS.max}`,
  expiresAt: "an ISO-8601 date-time with a time zone, e.g. 2025-01-31T12:00:00Z",
};

/** Hint for the value of one header (`headers.<name>`). */
export const headerValueHint = "a text without CR or LF";

/** Hint for a header name (`headers.<name>` as a key). */
export const headerNameHint = "an HTTP header name (RFC 9110 token: letters, digits and !#$%&'*+.^_`|~-)";
