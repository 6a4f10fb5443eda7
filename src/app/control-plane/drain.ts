import type { Clock, Logger, TimerHandle } from "../../lib/index.ts";

/** Drain state of the appliance: `off` (taking calls), `draining` (refusing new ones), `drained`. */
export type DrainState = "off" | "draining" | "drained";

/** What the drain controller watches. */
export interface DrainSources {
  /** Recording sessions still live. */
  liveCalls(): number;
  /** Sink units still owing audio (connected, backing off, queued or failed). */
  undeliveredUnits(): number;
  /** Called once when the appliance becomes drained: no live call, nothing owed to a sink. */
  onDrained(report: DrainReport): void;
  clock: Clock;
  logger: Logger;
}

/** Where a drain stands (the `drain` command's result, `getStatus`, the MQTT status). */
export interface DrainReport {
  state: DrainState;
  /** ISO-8601 UTC time the drain began, or null when off. */
  since: string | null;
  /** Live recording sessions. */
  liveCalls: number;
  /** Sink units still owing audio. */
  undeliveredUnits: number;
  /** Calls that ended since the drain began. */
  callsFinished: number;
}

/** How often a drain checks whether live calls and deliveries have finished, ms. */
const checkIntervalMs = 1_000;

/**
 * The `drain` command (DESIGN.md §7 scale-out: SBCs fail over on 503): while draining, new INVITEs
 * and OPTIONS get 503 (the SRS's admission asks {@link Drain.accepting}); live calls record to
 * their end and the sinks deliver what they owe; then the appliance reports `drained` once (event
 * DRAINED) and can be stopped or upgraded without losing audio. `cancel` takes calls again.
 */
export class Drain {
  readonly #sources: DrainSources;
  #state: DrainState = "off";
  #sinceUs = 0;
  #liveAtStart = 0;
  #timer: TimerHandle | undefined;

  constructor(sources: DrainSources) {
    this.#sources = sources;
  }

  /** False while draining or drained: new recording sessions are refused. */
  get accepting(): boolean {
    return this.#state === "off";
  }

  /** Starts draining (idempotent) and reports where it stands. */
  start(): DrainReport {
    if (this.#state === "off") {
      this.#state = "draining";
      this.#sinceUs = this.#sources.clock.wallUs();
      this.#liveAtStart = this.#sources.liveCalls();
      this.#sources.logger.info("draining: new recording sessions get 503", {
        code: "DRAIN_STARTED",
        liveCalls: this.#liveAtStart,
      });
      this.#timer = this.#sources.clock.setInterval(() => this.#check(), checkIntervalMs);
      this.#check();
    }
    return this.report();
  }

  /** Takes calls again (cancels a drain, or leaves the drained state). */
  cancel(): DrainReport {
    if (this.#state !== "off") {
      this.#sources.logger.info("drain cancelled: taking recording sessions again", {
        code: "DRAIN_CANCELLED",
      });
    }
    this.#stopTimer();
    this.#state = "off";
    this.#sinceUs = 0;
    return this.report();
  }

  /** Where the drain stands now. */
  report(): DrainReport {
    const liveCalls = this.#sources.liveCalls();
    return {
      state: this.#state,
      since: this.#sinceUs > 0 ? new Date(this.#sinceUs / 1000).toISOString() : null,
      liveCalls,
      undeliveredUnits: this.#sources.undeliveredUnits(),
      callsFinished: this.#state === "off" ? 0 : Math.max(0, this.#liveAtStart - liveCalls),
    };
  }

  /** Stops the periodic check (appliance shutdown). */
  stop(): void {
    this.#stopTimer();
  }

  #check(): void {
    if (this.#state !== "draining") return;
    const report = this.report();
    if (report.liveCalls > 0 || report.undeliveredUnits > 0) return;
    this.#state = "drained";
    this.#stopTimer();
    const drained = { ...report, state: this.#state };
    this.#sources.logger.info("drained: no live call, every sink delivered", {
      code: "DRAINED",
      callsFinished: drained.callsFinished,
    });
    this.#sources.onDrained(drained);
  }

  #stopTimer(): void {
    this.#sources.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
