import { CommandError, type TestCallParams } from "../../control/index.ts";
import type { Clock, Logger, TimerHandle } from "../../lib/index.ts";
import { errorCode, errorMessage } from "../../lib/index.ts";
import type { ListenSpec } from "../../sip/index.ts";
import type { CallRecord } from "../../spool/index.ts";
import type { Srs } from "../../srs/index.ts";
import type { SimulateCallOptions, SimulatedCallResult } from "../../tools/index.ts";
import { defaultSpeech, simulateCall } from "../../tools/index.ts";

/** Sample rate of the built-in speech, Hz. */
const speechRate = 8000;
/** How long the reply waits for the SRS to answer the test call's INVITE, ms. */
const answerWaitMs = 3000;

/** The SIP address a test call goes to. */
export interface TestCallTarget {
  /** `udp` or `tcp` (`simulate-call` does not speak TLS). */
  transport: "udp" | "tcp";
  /** Address to call: the listener's, or loopback for a wildcard one. */
  host: string;
  port: number;
}

/**
 * Picks the listener a test call goes to: the first UDP one, else the first TCP one; a wildcard
 * address (`0.0.0.0`, `::`) is called on its loopback (`127.0.0.1`, `::1`). Undefined when only
 * TLS (or nothing) listens.
 */
export function testCallTarget(listening: readonly ListenSpec[]): TestCallTarget | undefined {
  const listener =
    listening.find((l) => l.transport === "udp") ?? listening.find((l) => l.transport === "tcp");
  if (!listener || listener.transport === "tls") return undefined;
  const host = listener.host === "0.0.0.0" ? "127.0.0.1" : listener.host === "::" ? "::1" : listener.host;
  return { transport: listener.transport, host, port: listener.port };
}

/** `samples` repeated or cut to exactly `length` samples. */
export function fitSpeech(samples: Int16Array, length: number): Int16Array {
  if (samples.length >= length) return samples.subarray(0, length);
  const out = new Int16Array(length);
  if (samples.length === 0) return out;
  for (let at = 0; at < length; at += samples.length) {
    out.set(samples.subarray(0, Math.min(samples.length, length - at)), at);
  }
  return out;
}

/** What the `testCall` command needs from the running appliance. */
export interface TestCallDeps {
  /** SIP listeners actually bound. */
  listening(): ListenSpec[];
  /** False while draining or drained. */
  drainAccepting(): boolean;
  /** Whether a new INVITE would be answered now (not stopping, not draining, spool below high water). */
  accepting(): boolean;
  /** The SRS, whose `sessionstarted` names our call id for the test call's SIP Call-ID. */
  srs: Pick<Srs, "observer">;
  /** Runs one recording session as SRC. @default `simulateCall` of `src/tools` */
  place?: (options: SimulateCallOptions) => Promise<SimulatedCallResult>;
  clock: Clock;
  logger: Logger;
}

/** The `testCall` command: places test calls, one at a time. */
export interface TestCaller {
  /**
   * Starts a test call in the background and resolves once its INVITE was answered (or after 3 s)
   * with `{ target, durationS, sipCallId?, sessionId? }`.
   * @throws CommandError DRAINING, UNAVAILABLE (stopping, spool above high water), NO_SIP_LISTENER,
   *   REQUEST_PENDING (a test call is still running).
   */
  start(params: TestCallParams): Promise<Record<string, unknown>>;
  /** Whether a test call is running. */
  readonly running: boolean;
}

/**
 * Builds the `testCall` command (issue #6): our own SRC (`simulate-call`, the same as
 * `siprec-edge simulate-call`) records a call of `durationS` seconds of the built-in two-speaker
 * speech (PCMU) on the appliance's own first SIP listener, in the background. The reply comes as
 * soon as the appliance answered the INVITE, with the SIP Call-ID and our call id (`sessionId`);
 * the outcome is logged (`test call finished` / `test call failed`).
 */
export function createTestCaller(deps: TestCallDeps): TestCaller {
  const log = deps.logger.child({ component: "test-call" });
  const place = deps.place ?? simulateCall;
  let running = false;

  const start = async (params: TestCallParams): Promise<Record<string, unknown>> => {
    if (!deps.drainAccepting()) {
      throw new CommandError(
        "DRAINING",
        'the appliance is draining and refuses new calls; send drain {"cancel":true} first',
      );
    }
    if (!deps.accepting()) {
      throw new CommandError(
        "UNAVAILABLE",
        "the appliance refuses new calls now (stopping, or spool above its high-water mark)",
      );
    }
    const target = testCallTarget(deps.listening());
    if (!target) {
      throw new CommandError(
        "NO_SIP_LISTENER",
        "no UDP or TCP SIP listener is up to place a test call to; add one to sip.listen",
      );
    }
    if (running)
      throw new CommandError("REQUEST_PENDING", "a test call is still running; wait for it to end");
    running = true;
    const [agent, customer] = await defaultSpeech().catch((err: unknown) => {
      running = false;
      throw err;
    });
    const samples = params.durationS * speechRate;
    const answered = waitForAnswer(deps, log);
    const where = `${target.transport}:${target.host}:${target.port}`;
    log.info("placing a test call", { target: where, durationS: params.durationS });
    place({
      target: { host: target.host, port: target.port },
      transport: target.transport,
      codec: "PCMU",
      audio: [fitSpeech(agent, samples), fitSpeech(customer, samples)],
      clock: deps.clock,
      logger: log,
      onInvite: answered.sipCallId,
    })
      .then((result) =>
        log.info("test call finished", {
          sipCallId: result.sipCallId,
          status: result.status,
          reason: result.reason,
          packetsSent: result.packetsSent,
        }),
      )
      .catch((err: unknown) =>
        log.warn("test call failed", { code: errorCode(err), error: errorMessage(err) }),
      )
      .finally(() => {
        running = false;
        answered.cancel();
      });
    const ids = await answered.result;
    return { target: where, durationS: params.durationS, ...ids };
  };

  return {
    start,
    get running() {
      return running;
    },
  };
}

/** Pairs the test call's SIP Call-ID (from its INVITE) with the recording session the SRS started for it. */
function waitForAnswer(
  deps: TestCallDeps,
  log: Logger,
): {
  sipCallId: (id: string) => void;
  result: Promise<{ sipCallId?: string; sessionId?: string }>;
  cancel: () => void;
} {
  let sipCallId: string | undefined;
  let finish: (ids: { sipCallId?: string; sessionId?: string }) => void = () => {};
  let timer: TimerHandle | undefined;
  const onStarted = (call: CallRecord): void => {
    if (sipCallId !== undefined && call.sipCallId === sipCallId)
      finish({ sipCallId, sessionId: call.callId });
  };
  const result = new Promise<{ sipCallId?: string; sessionId?: string }>((resolve) => {
    finish = (ids) => {
      deps.srs.observer.off("sessionstarted", onStarted);
      deps.clock.clearTimer(timer);
      resolve(ids);
    };
  });
  deps.srs.observer.on("sessionstarted", onStarted);
  timer = deps.clock.setTimeout(() => {
    log.warn("the test call's INVITE was not answered in time", { sipCallId: sipCallId ?? "" });
    finish(sipCallId === undefined ? {} : { sipCallId });
  }, answerWaitMs);
  return {
    sipCallId: (id) => {
      sipCallId ??= id;
    },
    result,
    cancel: () => finish(sipCallId === undefined ? {} : { sipCallId }),
  };
}
