import type { AppEvent, EventContext } from "../control/index.ts";
import { spoolDiscardedAlarm, spoolHighWater } from "../control/index.ts";
import type { Clock, Logger, TimerHandle } from "../lib/index.ts";
import { errorMessage } from "../lib/index.ts";
import type { Spool, SpoolLevel } from "../spool/index.ts";

/** How often the spool's level is checked, ms. */
const levelIntervalMs = 1000;
/** How often delivered audio older than `spool.retain` is purged, ms. */
const purgeIntervalMs = 10_000;
/** Pause between purge slices while the spool says there is more to purge, ms. */
const purgeSliceGapMs = 20;

/** Options of {@link watchSpool}. */
export interface SpoolWatchOptions {
  spool: Spool;
  /** `spool.retain`, ms. */
  retainMs: number;
  /** Whether every sink has delivered a call (the dispatcher answers). */
  isDelivered: (callId: string) => boolean;
  /** Told the ids of the calls each purge removed (their captures go with them). */
  onPurged?: (callIds: string[]) => void;
  emit: (event: AppEvent) => void;
  ctx: EventContext;
  clock: Clock;
  logger: Logger;
}

/** The spool's health as the SRS and the page see it. */
export interface SpoolWatch {
  /** Latest level (checked every second). */
  level(): SpoolLevel;
  /** Stops the timers. */
  stop(): void;
}

/**
 * Watches the spool (DESIGN.md §4): publishes SPOOLHIGHWATER on both transitions of the high-water
 * mark (new INVITEs and OPTIONS get 503 above it), raises an ALARM when audio had to be recorded
 * as DISCARDED gaps, and purges delivered audio once `spool.retain` has passed, which is what
 * brings the spool back under the mark.
 */
export function watchSpool(options: SpoolWatchOptions): SpoolWatch {
  const { spool, clock, logger } = options;
  let level = spool.level();
  let discarded = spool.stats().framesDiscarded;

  const checkLevel = (): void => {
    const next = spool.level();
    if (next.highWater !== level.highWater) {
      logger[next.highWater ? "warn" : "info"](
        next.highWater
          ? "spool above its high-water mark: refusing new calls"
          : "spool back below its high-water mark",
        {
          code: "SPOOL_HIGH_WATER",
          bytes: next.bytes,
          maxBytes: next.maxBytes,
          freeDiskBytes: next.freeDiskBytes,
        },
      );
      options.emit(spoolHighWater(next, options.ctx));
    }
    level = next;
    const nowDiscarded = spool.stats().framesDiscarded;
    if (nowDiscarded > discarded) {
      const frames = nowDiscarded - discarded;
      logger.error("audio recorded as DISCARDED gaps: the spool is full", {
        code: "SPOOL_DISCARDED",
        frames,
      });
      const calls = spool.listCalls({ state: "live" }).map((c) => c.callId);
      options.emit(spoolDiscardedAlarm({ frames, calls }, options.ctx));
      discarded = nowDiscarded;
    }
  };

  let sliceTimer: TimerHandle | undefined;
  const purge = (): void => {
    sliceTimer = undefined;
    let more = false;
    try {
      const result = spool.purge({
        retainMs: level.highWater ? 0 : options.retainMs,
        nowUs: clock.wallUs(),
        isDelivered: options.isDelivered,
      });
      more = result.more;
      if (result.callsPurged > 0) {
        const { purgedCallIds, ...figures } = result;
        logger.info("delivered audio purged", { ...figures, highWater: level.highWater });
        options.onPurged?.(purgedCallIds);
      }
    } catch (err) {
      logger.error("spool purge failed", { code: "SPOOL_PURGE", error: errorMessage(err) });
    }
    checkLevel();
    if (more) sliceTimer = clock.setTimeout(purge, purgeSliceGapMs);
  };

  const levelTimer = clock.setInterval(checkLevel, levelIntervalMs);
  const purgeTimer = clock.setInterval(() => {
    if (sliceTimer === undefined) purge();
  }, purgeIntervalMs);
  return {
    level: () => level,
    stop: () => {
      clock.clearTimer(levelTimer);
      clock.clearTimer(purgeTimer);
      clock.clearTimer(sliceTimer);
    },
  };
}
