import type { Clock, Logger } from "../lib/index.ts";
import type { CallRecord, Spool } from "../spool/index.ts";
import type { Backoff } from "./backoff.ts";
import type { EaspUnit } from "./easp-unit.ts";
import type { ItemSource } from "./item-source.ts";
import type { ScratchBuffer } from "./scratch-buffer.ts";
import type { WebSocketSinkConfig } from "./sink-types.ts";

/** What a unit reports to its dispatcher. */
export interface UnitListener {
  /** The unit has work: pump it in this turn's flush. */
  dirty(unit: EaspUnit): void;
  connected(unit: EaspUnit): void;
  disconnected(unit: EaspUnit, reason: string): void;
  done(unit: EaspUnit): void;
}

/** Everything an {@link EaspUnit} is built from. */
export interface EaspUnitOptions {
  config: WebSocketSinkConfig;
  /** `call` (interleaved) or the stream id (per-participant). */
  unitKey: string;
  sessionId: string;
  /** Acknowledged seq from the stored cursor (0 for a new session). */
  ackedSeq: number;
  call: CallRecord;
  source: ItemSource;
  spool: Spool;
  scratch: ScratchBuffer;
  backoff: Backoff;
  clock: Clock;
  logger: Logger;
  applianceId: string;
  version: string;
  listener: UnitListener;
}
