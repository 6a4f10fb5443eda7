import { errorMessage, InvalidStateError, type Logger, randomHex } from "../../lib/index.ts";
import {
  type AnsweredStream,
  buildRecordingOffer,
  parseRecordingAnswer,
  type RecordingOfferDirection,
  type RecordingOfferInput,
} from "../../sdp/index.ts";
import type {
  DialogTerminationReason,
  IncomingRequest,
  SipResponse,
  SipTarget,
  TargetFailure,
  TargetSet,
  UacDialog,
} from "../../sip/index.ts";
import { buildRecordingBody, splitRecordingBody } from "../../siprec/index.ts";
import {
  type ForwardParties,
  forwardMetadata,
  forwardParties,
  isoOf,
  type OfferFields,
  offerInput,
  replayInfo,
} from "./forward-offer.ts";
import type { ForwardInfo, ForwardStopReason } from "./forward-types.ts";
import { isWildcard, localAddressToward } from "./local-address.ts";
import { SessionMedia } from "./session-media.ts";
import type { SessionEnv, SessionListener, SessionPlan } from "./session-types.ts";
import { failureOf, nextHopOf, type SinkTargets, targetName } from "./sink-targets.ts";
import { StreamFeed } from "./stream-feed.ts";

type SessionState = "preparing" | "inviting" | "active" | "ended";

/**
 * One recording session we originate as SRC (RFC 7866 §6.1): RFC 3263 failover across the sink's
 * targets, an INVITE with `Require: siprec`, Contact `;+sip.src` and a `multipart/mixed` body (our SDP
 * offer, sendonly, one labelled m-line per stream, SDES keys with SRTP; our RFC 7865 metadata), then
 * one RTP sender per accepted m-line fed from the spool and the live feed, pause/resume re-INVITEs
 * (RFC 7866 §12.1), answers to the SRS's in-dialog requests (a refresh re-INVITE gets 200 with our
 * current SDP, RFC 4028 §9), and BYE once everything was sent.
 */
export class ForwardSession {
  readonly plan: SessionPlan;
  readonly sipCallId: string;
  /** One per planned stream, in m-line order; a stream the SRS refused is detached at once. */
  readonly feeds: StreamFeed[];
  readonly #env: SessionEnv;
  readonly #targets: SinkTargets;
  readonly #listener: SessionListener;
  readonly #log: Logger;
  readonly #parties: ForwardParties;
  readonly #abort = new AbortController();
  #state: SessionState = "preparing";
  #set: TargetSet | undefined;
  #target: SipTarget | undefined;
  #dialog: UacDialog | undefined;
  readonly #media: SessionMedia;
  #fields: OfferFields | undefined;
  /** A 2xx is being turned down: the BYE's `terminated` is expected. */
  #rejecting = false;
  #offer: RecordingOfferInput | undefined;
  #paused: boolean;
  #finishReason: ForwardStopReason | undefined;
  #byeSent: Promise<unknown> = Promise.resolve();
  #resolveEnded: () => void = () => {};
  readonly #whenEnded = new Promise<void>((resolve) => {
    this.#resolveEnded = resolve;
  });

  constructor(plan: SessionPlan, env: SessionEnv, targets: SinkTargets, listener: SessionListener) {
    this.plan = plan;
    this.#env = env;
    this.#targets = targets;
    this.#listener = listener;
    this.#paused = plan.paused;
    this.#log = env.logger.child({ sink: plan.forward.name, callId: plan.call.callId, kind: plan.kind });
    this.sipCallId = `${randomHex(12)}@${/^[\w.-]+$/.test(env.applianceId) ? env.applianceId : "siprec-edge"}`;
    this.#media = new SessionMedia({
      ports: env.ports,
      mediaAddress: env.mediaAddress,
      sourceCodecs: plan.streams.map((s) => s.stream.codec),
      srtp: plan.forward.srtp,
      maxRate: plan.kind === "live" ? 1 : plan.forward.replay.maxRate,
      clock: env.clock,
      logger: this.#log,
    });
    this.feeds = plan.streams.map(
      (s) => new StreamFeed(env.spool, s.stream, s.from, s.end, () => this.#onFeedComplete()),
    );
    this.#parties = forwardParties(
      plan.call,
      plan.streams.map((s) => s.stream),
      {
        ...(plan.forward.caller ? { caller: plan.forward.caller } : {}),
        ...(plan.forward.calledParty ? { calledParty: plan.forward.calledParty } : {}),
      },
    );
  }

  /** Whether the session ended (or never got going). */
  get ended(): boolean {
    return this.#state === "ended";
  }

  /** Whether the SRS accepted it and it sends. */
  get established(): boolean {
    return this.#state === "active";
  }

  /** The facts events carry. */
  info(): ForwardInfo {
    const { forward, call, replay } = this.plan;
    return {
      sink: forward.name,
      callId: call.callId,
      uri: forward.uri,
      target: targetName(this.#target),
      sipCallId: this.sipCallId,
      ...(replay ? { replay: replayInfo(call, replay) } : {}),
      ...(forward.reference ? { reference: forward.reference } : {}),
    };
  }

  /** RTP packets sent so far. */
  packetsSent(): number {
    return this.#media.packetsSent();
  }

  /** Resolves the targets, INVITEs them in turn and starts sending on the first 2xx. Never rejects. */
  async run(): Promise<void> {
    try {
      this.#set = await this.#targets.targetSet();
    } catch (err) {
      this.#fail(503, `cannot resolve ${this.plan.forward.uri}: ${errorMessage(err)}`);
      return;
    }
    if (this.#finishReason !== undefined) return this.#end(this.#finishReason);
    const noTarget = `no target of ${this.plan.forward.uri} is up`;
    if (this.#set.next() === undefined) return this.#fail(503, noTarget);
    try {
      await this.#media.allocate();
    } catch (err) {
      this.#fail(503, `no RTP port for the forward session: ${errorMessage(err)}`);
      return;
    }
    if (this.#finishReason !== undefined) return this.#end(this.#finishReason);
    this.#state = "inviting";
    let last = { status: 503, reason: noTarget };
    try {
      // Each target once, even if a new resolution reorders the set meanwhile (RFC 3263 §4.3).
      const tried = new Set<string>();
      for (let target = this.#set.next(); target !== undefined; target = this.#set.next(target)) {
        if (tried.has(targetName(target))) break;
        tried.add(targetName(target));
        this.#target = target;
        const { response, dialog } = await this.#invite(target);
        if (dialog) return await this.#established(dialog, response);
        if (this.#finishReason !== undefined) return this.#end(this.#finishReason);
        this.#mark(target, failureOf(response));
        last = { status: response.status, reason: `${response.status} ${response.reason}` };
        this.#log.warn("SIPREC forward target refused the session", {
          target: targetName(target),
          status: last.status,
        });
      }
    } catch (err) {
      last = { status: 500, reason: `forward session failed: ${errorMessage(err)}` };
      this.#log.error("SIPREC forward session failed", {
        code: "SIPREC_FORWARD_INTERNAL",
        error: errorMessage(err),
      });
      if (this.established) {
        this.#rejecting = true;
        this.#bye();
      }
    }
    this.#fail(last.status, last.reason);
  }

  /** Ends the session now: cancels its INVITE or sends BYE; resolves once the BYE was answered (or timed out). */
  stop(reason: "stopped" | "shutdown"): Promise<unknown> {
    if (this.#state !== "ended" && this.#finishReason === undefined) {
      this.#finishReason = reason;
      if (this.#state === "inviting") this.#abort.abort();
      if (this.#state === "active") this.#bye();
    }
    return Promise.all([this.#whenEnded, this.#byeSent]);
  }

  /** The recording was paused or resumed: re-INVITE with `a=inactive` / `a=sendonly` (RFC 7866 §12.1). */
  setPaused(paused: boolean): void {
    this.#paused = paused;
    if (this.#state === "active") void this.#sendDirection();
  }

  async #invite(target: SipTarget): Promise<{ response: SipResponse; dialog?: UacDialog }> {
    const { forward, call, replay } = this.plan;
    const address =
      this.#env.advertiseAddress ??
      (isWildcard(this.#env.mediaAddress)
        ? await localAddressToward(target.address)
        : this.#env.mediaAddress);
    this.#fields ??= this.#initialFields(address);
    this.#fields.address = address;
    this.#fields.direction = this.#direction();
    this.#offer = offerInput(this.#parties, this.#fields);
    const sdp = buildRecordingOffer(this.#offer);
    const body = buildRecordingBody(sdp, forwardMetadata(call, this.#parties, replay));
    const headers: Record<string, string> = {
      Require: "siprec",
      Accept: "application/sdp",
      ...forward.xHeaders,
    };
    if (replay) headers["X-Siprec-Edge-Replay"] = isoOf(call.startedUs);
    return this.#env.sip.invite(nextHopOf(target), {
      uri: forward.uri,
      callId: this.sipCallId,
      contactUser: "src",
      contactParams: ";+sip.src",
      headers,
      body: body.body,
      contentType: body.contentType,
      sdp,
      sessionTimer: forward.sessionExpiresS > 0 ? { expiresS: forward.sessionExpiresS } : false,
      signal: this.#abort.signal,
      onRequest: (request) => this.#onRemoteRequest(request),
    });
  }

  #initialFields(address: string): OfferFields {
    return {
      username: this.#env.applianceId,
      version: this.#env.version,
      sessionId: String(Math.floor(this.#env.clock.wallUs() / 1000)),
      sessionVersion: 1,
      address,
      ports: this.#media.ports,
      crypto: this.#media.crypto(),
      codec: this.plan.forward.codec,
      direction: "sendonly",
    };
  }

  async #established(dialog: UacDialog, response: SipResponse): Promise<void> {
    this.#dialog = dialog;
    this.#state = "active";
    dialog.on("terminated", (reason) => this.#onTerminated(reason));
    if (this.#finishReason !== undefined) return this.#bye();
    const offer = this.#offer;
    let answered: AnsweredStream[];
    try {
      if (!offer) throw new InvalidStateError("no offer was sent");
      answered = parseRecordingAnswer(
        splitRecordingBody(response.header("content-type"), response.body).sdp,
        offer,
      );
    } catch (err) {
      return this.#reject(488, `unusable SDP answer: ${errorMessage(err)}`);
    }
    for (const answer of answered) {
      try {
        await this.#media.startNext(answer);
      } catch (err) {
        return this.#reject(500, `cannot send RTP: ${errorMessage(err)}`);
      }
      if (this.#state !== "active") return;
    }
    if (this.#media.silent) return this.#reject(488, "the SRS refused every m-line");
    this.#mark(this.#target, undefined);
    this.#log.info("SIPREC forward session started", {
      target: targetName(this.#target),
      sipCallId: this.sipCallId,
    });
    this.feeds.forEach((feed, i) => {
      const sender = this.#media.sender(i);
      if (sender) feed.attach(sender);
      else feed.detach();
    });
    this.#listener.sessionStarted(this);
    for (const feed of this.feeds) feed.pump();
    if (this.#direction() !== this.#fields?.direction) void this.#sendDirection();
  }

  /** A 2xx we cannot use (no usable answer, no RTP): the target counts as failed, BYE, `failed`. */
  #reject(status: number, reason: string): void {
    this.#log.warn("SIPREC forward session unusable", { target: targetName(this.#target), status, reason });
    this.#mark(this.#target, { reason: "unavailable", status, detail: reason });
    this.#rejecting = true;
    this.#bye();
    this.#fail(status, reason);
  }

  /** Every feed sent its last frame: BYE (RFC 7866 §6.1: the SRC ends the RS). */
  #onFeedComplete(): void {
    if (this.#state !== "active" || this.#finishReason !== undefined) return;
    if (!this.feeds.every((feed) => feed.completed || !feed.attached)) return;
    this.#finishReason = this.plan.kind === "live" ? "call-ended" : "replay-done";
    this.#bye();
  }

  #bye(): void {
    const dialog = this.#dialog;
    if (!dialog || dialog.state === "terminated") return;
    this.#byeSent = dialog.bye().catch(() => undefined);
  }

  #onTerminated(reason: DialogTerminationReason): void {
    if (this.#state !== "active" || this.#rejecting) return;
    let stop = this.#finishReason;
    if (stop === undefined && reason === "bye") stop = "remote-bye";
    if (stop === undefined) {
      this.#log.warn("SIPREC forward session broke; the rest is owed", {
        reason,
        target: targetName(this.#target),
      });
      this.#mark(this.#target, { reason: "timeout", detail: `dialog ended: ${reason}` });
      stop = "failed";
    }
    this.#end(stop);
  }

  /** Never set up: releases everything and reports `failed` (or the stop reason, when stopped meanwhile). */
  #fail(status: number, reason: string): void {
    if (this.#state === "ended") return;
    if (this.#finishReason === "stopped" || this.#finishReason === "shutdown") {
      this.#end(this.#finishReason);
      return;
    }
    this.#release();
    this.#listener.sessionFailed(this, status, reason);
  }

  #end(reason: ForwardStopReason): void {
    if (this.#state === "ended") return;
    this.#release();
    this.#log.info("SIPREC forward session ended", { reason, sipCallId: this.sipCallId });
    this.#listener.sessionEnded(this, reason);
  }

  /** Detaches the feeds (remembering how far each got), closes the senders, returns the ports. */
  #release(): void {
    this.#state = "ended";
    this.#resolveEnded();
    for (const feed of this.feeds) feed.detach();
    this.#media.close();
  }

  #direction(): RecordingOfferDirection {
    return this.#paused ? "inactive" : "sendonly";
  }

  /** re-INVITE with the current direction, same labels, next `o=` version (RFC 3264 §8, RFC 7866 §12.1). */
  async #sendDirection(): Promise<void> {
    const dialog = this.#dialog;
    const fields = this.#fields;
    const direction = this.#direction();
    if (!dialog || !fields || fields.direction === direction || this.#state !== "active") return;
    fields.direction = direction;
    fields.sessionVersion++;
    const offer = offerInput(this.#parties, fields);
    const sdp = buildRecordingOffer(offer);
    let response: SipResponse;
    try {
      response = await dialog.request("INVITE", { body: sdp, contentType: "application/sdp", sdp });
    } catch {
      return;
    }
    if (response.status >= 200 && response.status < 300) {
      this.#offer = offer;
      this.#follow(response.header("content-type"), response.body);
    } else {
      this.#log.warn("the SRS refused our re-INVITE", { direction, status: response.status });
    }
  }

  /**
   * A request of the SRS inside our dialog: a (refresh) re-INVITE or UPDATE gets 200 with our current
   * SDP (RFC 4028 §9; the dialog's default answer), after its SDP moved our senders if it changed the
   * SRS's addresses; BYE, OPTIONS and INFO the dialog's defaults.
   */
  #onRemoteRequest(request: IncomingRequest): void {
    const dialog = this.#dialog;
    if (!dialog) {
      request.reply(500, "Session Not Ready");
      return;
    }
    const m = request.message;
    if ((m.method === "INVITE" || m.method === "UPDATE") && m.body.length > 0) {
      this.#follow(m.header("content-type"), m.body);
    }
    dialog.replyDefault(request);
  }

  /** Follows an SDP of the SRS (a re-INVITE's, or the answer to ours): its m-lines may have moved. */
  #follow(contentType: string | undefined, body: Uint8Array): void {
    const offer = this.#offer;
    if (!offer || body.length === 0) return;
    try {
      this.#media.follow(parseRecordingAnswer(splitRecordingBody(contentType, body).sdp, offer));
    } catch (err) {
      this.#log.warn("ignored an unreadable SDP of the SRS", { error: errorMessage(err) });
    }
  }

  /** Reports a target's outcome to the failover bookkeeping (undefined `failure`: it answered 2xx). */
  #mark(target: SipTarget | undefined, failure: TargetFailure | undefined): void {
    if (!target || !this.#set) return;
    try {
      if (failure) this.#set.markFailed(target, failure);
      else this.#set.markSucceeded(target);
    } catch (err) {
      if (!(err instanceof InvalidStateError)) throw err;
    }
  }
}
