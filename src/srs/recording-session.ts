import type { CallCapture, CallCaptureOpener } from "../capture/index.ts";
import type { Clock, Logger } from "../lib/index.ts";
import { errorMessage, type TypedEmitter, uuidv7 } from "../lib/index.ts";
import type { CallClock, PayloadFormat, PortPool, RtpReceiver, RtpReceiverStats } from "../media/index.ts";
import { createRtpReceiver, MediaError } from "../media/index.ts";
import type { OfferedMedia } from "../sdp/index.ts";
import type { RecordingMetadata } from "../siprec/index.ts";
import { bindStreams } from "../siprec/index.ts";
import type {
  CallRecord,
  FrameInput,
  FrameRecord,
  ParticipantRecord,
  Spool,
  StreamRecord,
} from "../spool/index.ts";
import { SrtpContext, type SrtpKeyMaterial } from "../srtp/index.ts";
import type { MediaDecision } from "./answer.ts";
import { assignRoles, type RoleRule } from "./roles.ts";
import type {
  FrameListener,
  InviteInfo,
  PauseCause,
  SrsObserverEvents,
  StreamStatus,
  StreamStopReason,
} from "./srs-types.ts";

/** Everything a session needs from the SRS, shared by all sessions. */
export interface SessionContext {
  spool: Spool;
  frames: FrameListener;
  ports: PortPool;
  mediaAddress: string;
  reorderMs: number;
  latch: boolean;
  roles: RoleRule;
  clock: Clock;
  logger: Logger;
  observer: TypedEmitter<SrsObserverEvents>;
  /** Per-call packet captures, when configured. */
  captures?: CallCaptureOpener | undefined;
}

/** One negotiated m-line being recorded. */
interface ActiveStream {
  record: StreamRecord;
  decision: MediaDecision;
  receiver: RtpReceiver;
  port: number;
  /** Paused by the SRC's SDP (`inactive` / `c=0.0.0.0`). */
  sdpPaused: boolean;
  /** Effective pause: SDP or operator (policy) pause. */
  paused: boolean;
}

/** RTP ports tried for one stream before giving up (ports other sockets hold are skipped). */
const bindAttempts = 8;

const zeroStats: RtpReceiverStats = {
  packetsReceived: 0,
  packetsLost: 0,
  packetsLate: 0,
  packetsDuplicate: 0,
  packetsMalformed: 0,
  packetsUnauthenticated: 0,
  packetsWrongSource: 0,
  bytesReceived: 0,
  jitterMs: 0,
  ssrc: 0,
  level: 0,
};

/**
 * One recording session (RS, RFC 7866 §3): the SIPREC dialog's call record, its streams and their
 * RTP receivers. Frames go to the spool and then to the frame listener, in that order, so a sink
 * can always re-read what it was handed. Created by the SRS on INVITE, ended by BYE, by a failed
 * dialog (no ACK), by an expired session timer (RFC 4028) or by shutdown; ending is idempotent.
 */
export class RecordingSession {
  readonly call: CallRecord;
  readonly #ctx: SessionContext;
  readonly #streams = new Map<number, ActiveStream>();
  readonly #callClock: CallClock = { epochUs: 0 };
  #metadata: RecordingMetadata | undefined;
  #closed = false;
  /** Operator pause (`pauseRecording`), with its note; undefined while not paused by command. */
  #policyPause: { note: string } | undefined;
  #sdpVersion = 0;
  /** The call's packet capture, from {@link RecordingSession.startCapture} until the session ends. */
  #capture: CallCapture | undefined;

  /** SDP origin session id of our answers (RFC 8866 §5.2), stable for the session. */
  readonly sdpSessionId = String(Date.now());

  constructor(
    ctx: SessionContext,
    init: { sipCallId: string; source: string; correlation: Record<string, string> },
  ) {
    this.#ctx = ctx;
    this.call = {
      callId: uuidv7(),
      sipCallId: init.sipCallId,
      siprecSessionId: init.correlation.siprecSessionId ?? "",
      correlation: init.correlation,
      source: init.source,
      startedUs: ctx.clock.wallUs(),
      epochUs: 0,
      endedUs: 0,
      state: "live",
      reason: "",
      metadataXml: "",
      participants: [],
    };
  }

  /** Next SDP origin version: grows with each answer (RFC 3264 §8). */
  nextSdpVersion(): number {
    this.#sdpVersion += 1;
    return this.#sdpVersion;
  }

  /** Whether the session has ended. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Current metadata model (merged over re-INVITEs/UPDATEs). */
  get metadata(): RecordingMetadata | undefined {
    return this.#metadata;
  }

  /** Stream records with their live receiver counters, in m-line order. */
  streamStatus(): StreamStatus[] {
    return [...this.#streams.values()].map((s) => ({
      stream: s.record,
      rtp: s.receiver.stats(),
      paused: s.paused,
    }));
  }

  /** The decision behind each current stream, by m-line index (a re-offer keeps our SRTP answer key). */
  decisions(): Map<number, MediaDecision> {
    return new Map([...this.#streams].map(([index, s]) => [index, s.decision]));
  }

  /** RTP port bound per m-line index, for the SDP answer. */
  ports(): Map<number, number> {
    return new Map([...this.#streams].map(([index, s]) => [index, s.port]));
  }

  /**
   * Binds one RTP receiver per accepted m-line (ports from the pool). Nothing is stored yet:
   * call {@link RecordingSession.commit} once the 200 OK is about to go out.
   * @throws MediaPortsExhaustedError / MediaError when ports cannot be had; every port taken is released.
   */
  async openMedia(decisions: MediaDecision[], offered: OfferedMedia[]): Promise<void> {
    try {
      for (const d of decisions) {
        if (d.audio) await this.#openStream(d, offered[d.offer.index]);
      }
    } catch (err) {
      this.#releaseMedia();
      throw err;
    }
  }

  /** Stores the call and its streams, applies metadata and roles, announces them with the INVITE's routing facts. */
  commit(metadata: RecordingMetadata | undefined, metadataXml: string, invite: InviteInfo): void {
    this.#metadata = metadata;
    this.call.metadataXml = metadataXml;
    const roles = this.#applyMetadata();
    this.#ctx.spool.createCall(this.call);
    for (const s of this.#streams.values()) this.#storeStream(s, roles);
    const streams = [...this.#streams.values()].map((s) => s.record);
    this.#ctx.observer.safeEmit("sessionstarted", this.call, streams, invite);
    for (const stream of streams) this.#ctx.observer.safeEmit("streamstarted", this.call, stream);
    if (metadata === undefined) {
      this.#ctx.logger.warn("recording without rs-metadata: streams mapped by m-line order", {
        code: "SIPREC_NO_METADATA",
        callId: this.call.callId,
        sipCallId: this.call.sipCallId,
      });
    }
  }

  /**
   * Opens the call's packet capture (when the SRS has captures) and taps every stream's receiver
   * into it; streams opened later (re-INVITE) are tapped too. `localAddress` is the SDP answer's
   * address, written for sockets bound to a wildcard. Call after {@link RecordingSession.commit}.
   */
  startCapture(localAddress: string): void {
    if (this.#closed || this.#capture || !this.#ctx.captures) return;
    this.#capture = this.#ctx.captures.open(this.call.callId, this.call.sipCallId, { localAddress });
    for (const s of this.#streams.values()) s.receiver.setTap(this.#capture);
  }

  /** Applies new metadata (already merged by the caller) and announces the update. */
  updateMetadata(metadata: RecordingMetadata, metadataXml: string): void {
    if (this.#closed) return;
    this.#metadata = metadata;
    this.call.metadataXml = metadataXml;
    const roles = this.#applyMetadata();
    for (const s of this.#streams.values()) {
      const bound = roles.get(s.decision.offer.index);
      if (bound) Object.assign(s.record, bound);
    }
    this.#ctx.spool.updateCall(this.call.callId, {
      participants: this.call.participants,
      metadataXml,
      siprecSessionId: this.call.siprecSessionId,
    });
    this.#ctx.observer.safeEmit("sessionupdated", this.call);
  }

  /**
   * Applies a new offer's directions to the existing streams (pause on `inactive` or a
   * `0.0.0.0` connection address, resume otherwise; RFC 7866 §7.1.2 area, DESIGN.md §2).
   */
  applyDirections(decisions: MediaDecision[]): void {
    for (const d of decisions) {
      const s = this.#streams.get(d.offer.index);
      if (!s) continue;
      if (d.srtp && !sameKey(d.srtp.remote, s.decision.srtp?.remote)) {
        s.receiver.setSrtp(new SrtpContext(d.srtp.remote));
      } else if (!d.srtp && s.decision.srtp) {
        s.receiver.setSrtp(undefined);
      }
      s.decision = d;
      s.sdpPaused = d.direction === "inactive" || d.offer.address === "0.0.0.0";
      this.#applyPause(s, { reason: "sip" });
    }
  }

  /** Whether recording is paused by command (`pauseRecording`). */
  get policyPaused(): boolean {
    return this.#policyPause !== undefined;
  }

  /**
   * Pauses or resumes recording by operator command (PCI pause, DESIGN.md §5): while paused,
   * every stream's audio becomes PAUSED_POLICY gap frames (EASP.md §6, reason 3): nothing of it is
   * stored or forwarded. Independent of the SRC's own SDP pause: a stream records only when
   * neither pauses it. Returns false when already in that state.
   */
  setPolicyPause(paused: boolean, note = ""): boolean {
    if (paused === this.policyPaused || this.#closed) return false;
    this.#policyPause = paused ? { note } : undefined;
    for (const s of this.#streams.values()) this.#applyPause(s, { reason: "command", note });
    return true;
  }

  /** Applies the effective pause of one stream and announces a change. */
  #applyPause(s: ActiveStream, cause: PauseCause): void {
    const pause = s.sdpPaused || this.#policyPause !== undefined;
    if (pause === s.paused) return;
    s.paused = pause;
    s.receiver.setPaused(pause);
    this.#ctx.observer.safeEmit("recordingpaused", this.call, s.record, pause, cause);
  }

  /** Whether a new offer keeps the same accepted m-lines and codecs (so ports and streams stay). */
  sameMedia(decisions: MediaDecision[]): boolean {
    const accepted = decisions.filter((d) => d.audio);
    return (
      accepted.length === this.#streams.size &&
      accepted.every((d) => this.#streams.get(d.offer.index)?.decision.audio?.encoding === d.audio?.encoding)
    );
  }

  /**
   * Replaces every stream after an offer that changed codecs or m-lines: the old streams end
   * (reason `reinvite`) and new ones start on new ports (EASP: a codec change ends the stream).
   * @throws MediaPortsExhaustedError / MediaError like {@link RecordingSession.openMedia}.
   */
  async replaceMedia(decisions: MediaDecision[], offered: OfferedMedia[]): Promise<void> {
    this.stopStreams("reinvite");
    await this.openMedia(decisions, offered);
    const roles = this.#applyMetadata();
    for (const s of this.#streams.values()) {
      this.#storeStream(s, roles);
      this.#ctx.observer.safeEmit("streamstarted", this.call, s.record);
    }
  }

  /** Ends every stream, e.g. before new ones replace them. */
  stopStreams(reason: StreamStopReason): void {
    for (const [index, s] of this.#streams) {
      this.#stopStream(s, reason);
      this.#streams.delete(index);
    }
  }

  /**
   * Ends the recording session: drains the reorder buffers, ends every stream, marks the call
   * completed in the spool and announces it. Idempotent.
   */
  end(reason: StreamStopReason): void {
    if (this.#closed) return;
    this.#closed = true;
    this.stopStreams(reason);
    this.call.state = "completed";
    this.call.reason = reason;
    this.call.endedUs = this.#ctx.clock.wallUs();
    try {
      this.#ctx.spool.endCall(this.call.callId, "completed", reason, this.call.endedUs);
    } catch (err) {
      this.#ctx.logger.error("could not mark the call ended in the spool", {
        code: "SPOOL_WRITE",
        callId: this.call.callId,
        error: errorMessage(err),
      });
    }
    this.#capture?.close();
    this.#ctx.observer.safeEmit("sessioncompleted", this.call);
  }

  /** Releases receivers and ports without storing anything (INVITE refused or cancelled before commit). */
  abandon(): void {
    this.#closed = true;
    this.#releaseMedia();
  }

  async #openStream(decision: MediaDecision, offer: OfferedMedia | undefined): Promise<void> {
    const audio = decision.audio;
    if (!audio) return;
    const formats: PayloadFormat[] = [
      { payloadType: audio.payloadType, codec: audio.encoding, rate: audio.rate },
    ];
    if (decision.telephoneEvent) {
      formats.push({
        payloadType: decision.telephoneEvent.payloadType,
        codec: "telephone-event",
        rate: audio.rate,
      });
    }
    const record: StreamRecord = {
      streamId: 0,
      callId: this.call.callId,
      label: offer?.label ?? String(decision.offer.index),
      siprecStreamId: "",
      participantId: "",
      role: "unknown",
      mlineIndex: decision.offer.index,
      codec: audio.encoding,
      rate: audio.rate,
      payloadType: audio.payloadType,
      startedUs: 0,
      endedUs: 0,
    };
    const active: ActiveStream = {
      record,
      decision,
      port: 0,
      sdpPaused: false,
      paused: false,
      receiver: undefined as unknown as RtpReceiver,
    };
    const remoteAddress = offer?.address;
    const source =
      this.#ctx.latch || !remoteAddress || remoteAddress === "0.0.0.0"
        ? { latch: true }
        : { remote: { address: remoteAddress, port: 0 }, latch: false };
    await this.#bind(active, (port) =>
      createRtpReceiver({
        address: this.#ctx.mediaAddress,
        port,
        formats,
        ...source,
        reorderMs: this.#ctx.reorderMs,
        callClock: this.#callClock,
        clock: this.#ctx.clock,
        logger: this.#ctx.logger,
        onFrame: (frame) => this.#onFrame(active, frame),
        ...(decision.srtp ? { srtp: new SrtpContext(decision.srtp.remote) } : {}),
        ...(this.#capture ? { tap: this.#capture } : {}),
      }),
    );
    if (this.#policyPause) {
      active.paused = true;
      active.receiver.setPaused(true);
    }
    this.#streams.set(decision.offer.index, active);
  }

  /**
   * Binds a receiver on a port from the pool. A port some other socket holds (the media range may
   * overlap the system's ephemeral ports) is kept out of the pool while the next one is tried, up to
   * {@link bindAttempts} ports; then they all go back.
   * @throws MediaPortsExhaustedError when the pool is empty; MediaError MEDIA_BIND after the last attempt.
   */
  async #bind(active: ActiveStream, create: (port: number) => RtpReceiver): Promise<void> {
    const busy: number[] = [];
    try {
      for (let attempt = 1; ; attempt++) {
        const port = this.#ctx.ports.allocate();
        const receiver = create(port);
        try {
          await receiver.start();
          active.port = port;
          active.receiver = receiver;
          return;
        } catch (err) {
          receiver.close();
          busy.push(port);
          if (!(err instanceof MediaError && err.code === "MEDIA_BIND") || attempt >= bindAttempts) throw err;
          this.#ctx.logger.debug("RTP port in use, trying another", { code: "MEDIA_BIND", port });
        }
      }
    } finally {
      for (const port of busy) this.#ctx.ports.release(port);
    }
  }

  #onFrame(active: ActiveStream, frame: FrameInput): void {
    const record = frame as FrameRecord;
    record.streamId = active.record.streamId;
    record.idx = this.#ctx.spool.appendFrame(record.streamId, frame);
    if (this.call.epochUs === 0) this.#setEpoch();
    this.#ctx.frames.frame(record);
  }

  #setEpoch(): void {
    this.call.epochUs = this.#callClock.epochUs;
    this.#ctx.spool.updateCall(this.call.callId, { epochUs: this.call.epochUs });
  }

  #storeStream(s: ActiveStream, roles: Map<number, Partial<StreamRecord>>): void {
    Object.assign(s.record, roles.get(s.decision.offer.index) ?? {});
    s.record.startedUs = this.#ctx.clock.wallUs();
    const { streamId: _, endedUs: __, ...input } = s.record;
    s.record.streamId = this.#ctx.spool.createStream(input).streamId;
  }

  #stopStream(s: ActiveStream, reason: StreamStopReason): void {
    s.receiver.flush();
    const rtp = s.receiver.stats();
    s.receiver.close();
    this.#ctx.ports.release(s.port);
    if (s.record.streamId === 0) return;
    s.record.endedUs = this.#ctx.clock.wallUs();
    this.#ctx.spool.endStream(s.record.streamId, s.record.endedUs);
    this.#ctx.observer.safeEmit("streamstopped", this.call, s.record, rtp ?? zeroStats, reason);
  }

  #releaseMedia(): void {
    for (const s of this.#streams.values()) {
      s.receiver.close();
      this.#ctx.ports.release(s.port);
    }
    this.#streams.clear();
  }

  /** Sets participants from metadata (or synthesizes one per m-line) and returns stream fields per m-line. */
  #applyMetadata(): Map<number, Partial<StreamRecord>> {
    const streams = [...this.#streams.values()];
    const labels = streams.map((s) => s.record.label);
    const bindings = bindStreams(this.#metadata, labels);
    let participants: ParticipantRecord[];
    if (this.#metadata && this.#metadata.participants.length > 0) {
      participants = this.#metadata.participants.map((p) => ({
        participantId: p.participantId,
        aor: p.aor,
        name: p.name,
        role: "unknown",
      }));
      this.call.siprecSessionId = this.#metadata.sessions[0]?.sessionId ?? this.call.siprecSessionId;
    } else {
      participants = streams.map((s) => ({
        participantId: `mline-${s.decision.offer.index}`,
        aor: "",
        name: "",
        role: "unknown",
      }));
      bindings.forEach((b, i) => {
        if (!b.senderParticipantId) b.senderParticipantId = `mline-${streams[i]?.decision.offer.index}`;
      });
    }
    const bound = streams.map((s, i) => ({
      mlineIndex: s.decision.offer.index,
      binding: bindings[i] ?? { label: s.record.label, streamId: "", senderParticipantId: "" },
    }));
    const assigned = assignRoles(participants, bound, this.#ctx.roles);
    this.call.participants = assigned.participants;
    return new Map(
      bound.map((b) => [
        b.mlineIndex,
        {
          siprecStreamId: b.binding.streamId,
          participantId: b.binding.senderParticipantId,
          role: assigned.streamRoles.get(b.mlineIndex) ?? "unknown",
        },
      ]),
    );
  }
}

/** Whether two SDES keys are the same (a re-offer that keeps the SRC's key keeps the SRTP context and its replay window). */
function sameKey(a: SrtpKeyMaterial, b: SrtpKeyMaterial | undefined): boolean {
  return (
    b !== undefined &&
    a.profile === b.profile &&
    Buffer.from(a.masterKey).equals(Buffer.from(b.masterKey)) &&
    Buffer.from(a.masterSalt).equals(Buffer.from(b.masterSalt))
  );
}
