import { errorMessage, type Logger, silentLogger } from "../../lib/index.ts";
import type { NewCallNotice, NewCallWebhookOptions, RoutingDecision } from "./routing-types.ts";
import { decisionFromReply, webhookReplySchema } from "./webhook-reply.ts";

/**
 * Asks the customer application where a new call's audio goes (the `routing.new_call_webhook`
 * model of iotcomms' newCall callback): POSTs `call` as JSON (`content-type: application/json` plus
 * the configured headers) and reads a reply `{ startStream?: obj | obj[], startSIPRecForward?: obj | obj[] }`,
 * where a `startStream` object is a {@link SinkChoice} and a `startSIPRecForward` object a
 * {@link ForwardSpec} (`sink` required in both). Unknown keys are ignored.
 *
 * Resolves:
 * - a decision with `by: "webhook"` when the reply has `startStream` or `startSIPRecForward` (the call
 *   gets exactly those; `[]` = record only). Objects that cannot be honoured are left out and described
 *   in `ignored`: a sink that is not configured and has no `url`/`uri` (warn `WEBHOOK_UNKNOWN_SINK`), a
 *   sink named twice (warn `WEBHOOK_DUPLICATE_SINK`).
 * - `undefined`, so the routing rules apply, when the reply has neither key or an empty body
 *   (info `WEBHOOK_NO_DECISION`), after `timeoutMs` ms without the whole reply (warn `WEBHOOK_TIMEOUT`),
 *   on a network error or non-2xx status (warn `WEBHOOK_FAILED`), or on a reply that is not JSON or
 *   does not fit the shape (warn `WEBHOOK_BAD_REPLY`, with the offending paths).
 *
 * Never rejects. Log lines carry `code` and `url`, never the request headers (they hold tokens).
 */
export async function askNewCallWebhook(
  options: NewCallWebhookOptions,
  call: NewCallNotice,
): Promise<RoutingDecision | undefined> {
  const { url, timeoutMs } = options;
  const logger = options.logger ?? silentLogger;
  const headers = new Headers(options.headers);
  headers.set("content-type", "application/json");
  if (!headers.has("accept")) headers.set("accept", "application/json");
  let text: string;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify(call),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      response.body?.cancel().catch(() => undefined);
      logger.warn("new-call webhook answered with an error status; routing rules apply", {
        code: "WEBHOOK_FAILED",
        url,
        status: response.status,
      });
      return undefined;
    }
    text = await response.text();
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") {
      logger.warn("new-call webhook did not answer in time; routing rules apply", {
        code: "WEBHOOK_TIMEOUT",
        url,
        timeoutMs,
      });
    } else {
      logger.warn("new-call webhook could not be reached; routing rules apply", {
        code: "WEBHOOK_FAILED",
        url,
        error: errorMessage(err),
      });
    }
    return undefined;
  }
  return interpret(text, options, logger);
}

function interpret(
  text: string,
  options: NewCallWebhookOptions,
  logger: Logger,
): RoutingDecision | undefined {
  const { url } = options;
  let json: unknown = {};
  if (text.trim() !== "") {
    try {
      json = JSON.parse(text);
    } catch (err) {
      logger.warn("new-call webhook reply is not JSON; routing rules apply", {
        code: "WEBHOOK_BAD_REPLY",
        url,
        error: errorMessage(err),
      });
      return undefined;
    }
  }
  const parsed = webhookReplySchema.safeParse(json);
  if (!parsed.success) {
    logger.warn("new-call webhook reply does not fit the expected shape; routing rules apply", {
      code: "WEBHOOK_BAD_REPLY",
      url,
      issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(reply)"}: ${i.message}`),
    });
    return undefined;
  }
  return decisionFromReply(parsed.data, new Set(options.configuredSinks), logger, url);
}
