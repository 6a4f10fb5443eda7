import * as z from "zod";
import type { Logger } from "../../lib/index.ts";
import type { ForwardSpec, RoutingDecision, SinkChoice } from "./routing-types.ts";

const startStream = z.object({
  sink: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: "use letters, digits, '_', '.' or '-'" }),
  url: z
    .string()
    .regex(/^wss?:\/\/\S+$/, { message: "must be a ws:// or wss:// URL" })
    .optional(),
  protocol: z.literal("easp").optional(),
  mode: z.enum(["interleaved", "per-participant"]).optional(),
  format: z.enum(["PCMU/8000", "PCMA/8000", "L16/8000"]).optional(),
  headers: z.record(z.string(), z.string()).optional(),
});

const party = z
  .object({ name: z.string().optional(), user: z.string().optional(), label: z.string().optional() })
  .optional();

const forward = z.object({
  sink: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: "use letters, digits, '_', '.' or '-'" }),
  uri: z
    .string()
    .regex(/^sips?:\S+$/i, { message: "must be a sip: or sips: URI" })
    .optional(),
  codec: z.enum(["PCMU/8000", "PCMA/8000"]).optional(),
  srtp: z.enum(["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"]).optional(),
  caller: party,
  calledParty: party,
  xHeaders: z.record(z.string().regex(/^X-[A-Za-z0-9-]+$/i), z.string().regex(/^[^\r\n]*$/)).optional(),
  reference: z.record(z.string(), z.unknown()).optional(),
});

/** One object or a list of them, read as a list (so issue paths are `key.<index>.field`). */
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((value) => (Array.isArray(value) ? value : [value]), z.array(item)).optional();

/**
 * The new-call webhook's JSON reply. Unknown keys are ignored; `startStream` and `startSIPRecForward`
 * take one object or a list of them.
 */
export const webhookReplySchema = z.object({
  startStream: oneOrMany(startStream),
  startSIPRecForward: oneOrMany(forward),
});

/** A validated webhook reply. */
export type WebhookReply = z.output<typeof webhookReplySchema>;

/**
 * Turns a validated reply into a decision; `undefined` when the reply has neither `startStream` nor
 * `startSIPRecForward` (rules apply).
 * Logs `WEBHOOK_UNKNOWN_SINK`, `WEBHOOK_DUPLICATE_SINK` (warn) and
 * `WEBHOOK_NO_DECISION` (info), each with `url`.
 */
export function decisionFromReply(
  reply: WebhookReply,
  configuredSinks: ReadonlySet<string>,
  logger: Logger,
  url: string,
): RoutingDecision | undefined {
  if (reply.startStream === undefined && reply.startSIPRecForward === undefined) {
    logger.info("new-call webhook made no routing decision; routing rules apply", {
      code: "WEBHOOK_NO_DECISION",
      url,
    });
    return undefined;
  }
  const ignored: string[] = [];
  const usable = <T extends { sink: string; url?: string; uri?: string }>(
    kind: string,
    choices: T[],
  ): T[] => {
    const kept: T[] = [];
    for (const choice of choices) {
      const problem = whyUnusable(choice, kept, configuredSinks);
      if (problem === undefined) {
        kept.push(choice);
        continue;
      }
      const description = `${kind} sink "${choice.sink}": ${problem.why}`;
      ignored.push(description);
      logger.warn("new-call webhook named a sink that cannot be used; ignored", {
        code: problem.code,
        url,
        ignored: description,
      });
    }
    return kept;
  };
  const sinks: SinkChoice[] = usable("startStream", reply.startStream ?? []);
  const forwards: ForwardSpec[] = usable("startSIPRecForward", reply.startSIPRecForward ?? []);
  const decision: RoutingDecision = { sinks, by: "webhook" };
  if (forwards.length > 0) decision.forwards = forwards;
  if (ignored.length > 0) decision.ignored = ignored;
  return decision;
}

/** Why a `startStream` object cannot be honoured, or `undefined` when it can. */
function whyUnusable(
  choice: { sink: string; url?: string; uri?: string },
  chosen: readonly { sink: string }[],
  configuredSinks: ReadonlySet<string>,
): { code: string; why: string } | undefined {
  if (chosen.some((s) => s.sink === choice.sink))
    return { code: "WEBHOOK_DUPLICATE_SINK", why: "named twice" };
  if (!configuredSinks.has(choice.sink) && choice.url === undefined && choice.uri === undefined) {
    return { code: "WEBHOOK_UNKNOWN_SINK", why: "not configured and no url or uri given" };
  }
  return undefined;
}
