import type { Clock, Logger } from "../lib/index.ts";
import type { CallRecord, Spool } from "../spool/index.ts";
import type { ReconnectPolicy } from "./backoff.ts";
import type { CircuitBreaker } from "./circuit-breaker.ts";
import type { EaspUnit } from "./easp-unit.ts";
import type { ItemSource } from "./item-source.ts";
import type { ScratchBuffer } from "./scratch-buffer.ts";
import type { SegmentOrigin } from "./segments.ts";
import type { WebSocketSinkConfig } from "./sink-types.ts";

/** What a unit reports to its dispatcher. */
export interface UnitListener {
  /** The unit has work: pump it in this turn's flush. */
  dirty(unit: EaspUnit): void;
  /** The unit's next frame waits for the spool's group commit: pump it again shortly. */
  waitForCommit(unit: EaspUnit): void;
  connected(unit: EaspUnit): void;
  disconnected(unit: EaspUnit, reason: string): void;
  /** The unit was behind and has now had everything up to the live edge acknowledged. */
  caughtUp(unit: EaspUnit): void;
  /** Delivered (`closed`, or 4010). */
  done(unit: EaspUnit): void;
  /** Something an operator must see (code as in `SinkDispatcherEvents.unitalarm`). */
  alarm(unit: EaspUnit, code: string, message: string): void;
  /** Live-first: the receiver is back and the unit is behind: cut it at its live edge, continue live on a new segment. */
  cutSegment(unit: EaspUnit): void;
  /** Ack regression with loss: replace the unit by a new segment that opens with a DISCARDED gap. */
  supersede(unit: EaspUnit): void;
  /** 4001/4003/4415: stop every unit of the unit's sink until reconfigured. */
  rejectSink(unit: EaspUnit, code: string, message: string): void;
  /** The unit stopped for good without being delivered (`failed`). */
  failed(unit: EaspUnit): void;
}

/** Everything an {@link EaspUnit} is built from. */
export interface EaspUnitOptions {
  config: WebSocketSinkConfig;
  /** Cursor unit: `call`/stream id, or `<base>#<segment>` for a continuation segment. */
  unitKey: string;
  /** The unit of segment 0 this session continues (`call` or the stream id). */
  baseKey: string;
  /** Where the session starts and which session it continues. */
  origin: SegmentOrigin;
  sessionId: string;
  /** Acknowledged seq from the stored cursor (0 for a new session). */
  ackedSeq: number;
  call: CallRecord;
  source: ItemSource;
  spool: Spool;
  scratch: ScratchBuffer;
  reconnect: ReconnectPolicy;
  /** The sink's circuit breaker (shared by its units). */
  breaker: CircuitBreaker;
  clock: Clock;
  logger: Logger;
  applianceId: string;
  version: string;
  listener: UnitListener;
  /** Created behind (recovery): connect only once {@link EaspUnit.release} is called. */
  held: boolean;
}
