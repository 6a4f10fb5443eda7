import { CaptureStore, SipMessageRing, SipWireRecorder } from "../capture/index.ts";
import type { Clock, Logger } from "../lib/index.ts";
import { errorMessage } from "../lib/index.ts";
import type { SipStack } from "../sip/index.ts";
import type { Spool } from "../spool/index.ts";
import type { AppConfig } from "./config.ts";

/** Options of {@link startCallCapture}. */
export interface CallCaptureOptions {
  config: AppConfig;
  /** The SIP stack whose wire is tapped. */
  sip: SipStack;
  /** Whether a call is still in the spool decides whether its capture is kept. */
  spool: Spool;
  clock: Clock;
  logger: Logger;
}

/** The running per-call capture and SIP message ring. */
export interface CallCaptureService {
  /** The per-call captures, undefined when `capture.enabled` is false (SRS and web take it as is). */
  readonly store: CaptureStore | undefined;
  /** The recent SIP messages as text (`GET /api/sip/messages`, diagnostics). */
  sipMessages(): string;
  /** Closes every open capture. */
  close(): void;
}

/**
 * Starts the per-call packet capture (issue 6 part 4; `capture.*`): taps the SIP stack's wire into
 * the ring of recent messages (`capture.sip_messages`) and, by Call-ID, into each call's capture;
 * the SRS opens and closes captures (it gets {@link CallCaptureService.store}). Captures live as
 * long as their call is in the spool: at start the folder is reconciled with the spool (captures of
 * calls it no longer has are deleted), then the app hands each purge's call ids to
 * `store.remove`; the oldest go first when all exceed `capture.max_bytes`.
 * @throws CaptureError `CAPTURE_IO` when `capture.path` cannot be created.
 */
export function startCallCapture(options: CallCaptureOptions): CallCaptureService {
  const { config, spool, clock } = options;
  const logger = options.logger.child({ component: "capture" });
  const ring = new SipMessageRing(config.capture.sip_messages);
  const store = config.capture.enabled
    ? new CaptureStore({
        dir: config.capture.path ?? "captures",
        maxBytes: config.capture.max_bytes,
        ring,
        clock,
        logger,
      })
    : undefined;
  const recorder = new SipWireRecorder({ ring, ...(store ? { store } : {}), clock });
  if (store || ring.capacity > 0) options.sip.onWire((event) => recorder.record(event));

  try {
    store?.reconcile((callId) => spool.getCall(callId) !== undefined);
  } catch (err) {
    logger.warn("capture folder not reconciled with the spool", {
      code: "CAPTURE_IO",
      error: errorMessage(err),
    });
  }
  return {
    store,
    sipMessages: () => ring.render(),
    close: () => store?.close(),
  };
}
