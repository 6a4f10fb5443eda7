/**
 * Shapes of one forward session: what it carries, what it shares, and how it reports. Types only.
 * @module
 */
import type { Clock, Logger } from "../../lib/index.ts";
import type { PortPool } from "../../media/index.ts";
import type { SipStack } from "../../sip/index.ts";
import type { CallRecord, Spool, StreamRecord } from "../../spool/index.ts";
import type { ResolvedForward } from "./forward-catalog.ts";
import type { ReplaySpanUs } from "./forward-offer.ts";
import type { ForwardSession } from "./forward-session.ts";
import type { ForwardStopReason } from "./forward-types.ts";

/** One stream of a session: frames `from`…`end` (idx; `end` is `Infinity` while a live stream runs). */
export interface SessionStreamPlan {
  stream: StreamRecord;
  from: number;
  end: number;
}

/** What one recording session (RS) towards the remote SRS carries. */
export interface SessionPlan {
  /** `live` follows the call; `replay` sends a closed span of spooled audio, marked as replay. */
  kind: "live" | "replay";
  call: CallRecord;
  /** One m-line per entry, in this order. */
  streams: SessionStreamPlan[];
  forward: ResolvedForward;
  /** The span a replay carries. */
  replay?: ReplaySpanUs;
  /** Whether the recording is paused when the offer is built (`a=inactive`). */
  paused: boolean;
}

/** What sessions share: the stack, the spool, the ports, and where to report. */
export interface SessionEnv {
  sip: SipStack;
  spool: Spool;
  ports: PortPool;
  mediaAddress: string;
  advertiseAddress: string | undefined;
  applianceId: string;
  version: string;
  clock: Clock;
  logger: Logger;
}

/** How a session reports its outcome (exactly one of `failed` / `ended`, after `started` for `ended` when it got a 2xx). */
export interface SessionListener {
  sessionStarted(session: ForwardSession): void;
  sessionFailed(session: ForwardSession, status: number, reason: string): void;
  sessionEnded(session: ForwardSession, reason: ForwardStopReason): void;
}
