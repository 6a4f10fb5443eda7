import * as z from "zod";
import { SpoolClientError } from "./errors.ts";

/*
 * The JSON of the daemon's calls API (web `CallSummary` / `CallDetail`) as this client reads it:
 * only the fields it shows, checked, unknown fields ignored (a newer daemon may add some).
 */

const count = z.number().int().min(0);

const sinkDelivery = z.object({
  sink: z.string(),
  unit: z.string(),
  state: z.string(),
  backlogSeconds: z.number().min(0),
});

const callSummary = z.object({
  callId: z.string(),
  state: z.string(),
  startedAt: z.string(),
  durationMs: count,
  streamCount: count,
  frames: count,
  bytes: count,
  sinks: z.array(sinkDelivery),
});

const callList = z.object({ calls: z.array(callSummary) });

const callDetail = callSummary.extend({
  streams: z.array(z.object({ streamId: count, label: z.string(), codec: z.string() })),
});

/** One call of `GET /api/calls`, as `spool ls` shows it. */
export type WireCallSummary = z.infer<typeof callSummary>;
/** One call of `GET /api/calls/:callId`, as `spool export` needs it. */
export type WireCallDetail = z.infer<typeof callDetail>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new SpoolClientError(
      "SPOOL_CLIENT_BAD_RESPONSE",
      `unexpected ${what} from siprec-edge: ${result.error.message}`,
    );
  }
  return result.data;
}

/**
 * Checks the answer of `GET /api/calls`.
 * @throws SpoolClientError `SPOOL_CLIENT_BAD_RESPONSE`.
 */
export function parseCallList(value: unknown): WireCallSummary[] {
  return parse(callList, value, "call list").calls;
}

/**
 * Checks the answer of `GET /api/calls/:callId`.
 * @throws SpoolClientError `SPOOL_CLIENT_BAD_RESPONSE`.
 */
export function parseCallDetail(value: unknown): WireCallDetail {
  return parse(callDetail, value, "call");
}
