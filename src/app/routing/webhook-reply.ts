import * as z from "zod";
import type { Logger } from "../../lib/index.ts";
import type { RoutingDecision, SinkChoice } from "./routing-types.ts";

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

const forward = z.record(z.string(), z.unknown());

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

/** Keys of a `startSIPRecForward` object that name where to forward, most specific first. */
const forwardTargetKeys = ["destination", "uri", "requestUri", "target", "srs", "url"] as const;

/**
 * Turns a validated reply into a decision; `undefined` when the reply has no `startStream` (rules apply).
 * Logs `WEBHOOK_SIPREC_FORWARD_UNSUPPORTED`, `WEBHOOK_UNKNOWN_SINK`, `WEBHOOK_DUPLICATE_SINK` (warn) and
 * `WEBHOOK_NO_DECISION` (info), each with `url`.
 */
export function decisionFromReply(
  reply: WebhookReply,
  configuredSinks: ReadonlySet<string>,
  logger: Logger,
  url: string,
): RoutingDecision | undefined {
  const ignored: string[] = [];
  for (const request of reply.startSIPRecForward ?? []) {
    const description = describeForward(request);
    ignored.push(description);
    logger.warn("new-call webhook asked for SIPREC forwarding, which this release cannot do; ignored", {
      code: "WEBHOOK_SIPREC_FORWARD_UNSUPPORTED",
      url,
      ignored: description,
    });
  }
  if (reply.startStream === undefined) {
    logger.info("new-call webhook made no streaming decision; routing rules apply", {
      code: "WEBHOOK_NO_DECISION",
      url,
    });
    return undefined;
  }
  const sinks: SinkChoice[] = [];
  for (const choice of reply.startStream) {
    const problem = whyUnusable(choice, sinks, configuredSinks);
    if (problem === undefined) {
      sinks.push(choice);
      continue;
    }
    const description = `startStream sink "${choice.sink}": ${problem.why}`;
    ignored.push(description);
    logger.warn("new-call webhook named a sink that cannot be used; ignored", {
      code: problem.code,
      url,
      ignored: description,
    });
  }
  return ignored.length > 0 ? { sinks, by: "webhook", ignored } : { sinks, by: "webhook" };
}

/** Why a `startStream` object cannot be honoured, or `undefined` when it can. */
function whyUnusable(
  choice: SinkChoice,
  chosen: readonly SinkChoice[],
  configuredSinks: ReadonlySet<string>,
): { code: string; why: string } | undefined {
  if (chosen.some((s) => s.sink === choice.sink))
    return { code: "WEBHOOK_DUPLICATE_SINK", why: "named twice" };
  if (!configuredSinks.has(choice.sink) && choice.url === undefined) {
    return { code: "WEBHOOK_UNKNOWN_SINK", why: "not configured and no url given" };
  }
  return undefined;
}

/** `startSIPRecForward to sip:srs@host`; query strings (which may hold tokens) are left out. */
function describeForward(request: Record<string, unknown>): string {
  for (const key of forwardTargetKeys) {
    const value = request[key];
    if (typeof value === "string" && value !== "") {
      return `startSIPRecForward to ${value.split("?")[0]?.slice(0, 120)}`;
    }
  }
  return "startSIPRecForward (no destination given)";
}
