import type { Clock, Logger } from "../lib/index.ts";
import type { AudioCodec, FrameInput } from "../spool/index.ts";
import type { SrtpContext } from "../srtp/index.ts";

/**
 * A frame produced by an RTP receiver: exactly the spool's {@link FrameInput} (so the recorder
 * passes it through without copying).
 */
export type MediaFrame = FrameInput;

/** What a receiver expects for one RTP payload type (from the negotiated SDP). */
export interface PayloadFormat {
  /** RTP payload type number (0–127). */
  payloadType: number;
  /** Codec, or `telephone-event` (RFC 4733) / `CN` (RFC 3389), which are not audio frames. */
  codec: AudioCodec | "telephone-event" | "CN";
  /** Clock rate, Hz. */
  rate: number;
}

/** Counters of one RTP receiver (one m-line), for status and metrics. */
export interface RtpReceiverStats {
  /** Valid RTP packets accepted into the stream (duplicates, late, malformed and wrong-source excluded). */
  packetsReceived: number;
  /** Packets never received (sequence gaps after the reorder window), RFC 3550 §6.4.1 "cumulative lost". */
  packetsLost: number;
  /** Packets that arrived after their slot was given up (too late to reorder). */
  packetsLate: number;
  /** Duplicate packets dropped. */
  packetsDuplicate: number;
  /** Datagrams that were not RTP (or RTCP on the RTP port) — counted and dropped. */
  packetsMalformed: number;
  /** SRTP packets refused: authentication failed or replayed (RFC 3711 §3.3) — counted and dropped. */
  packetsUnauthenticated: number;
  /** Datagrams from an address other than the expected/latched one — counted and dropped. */
  packetsWrongSource: number;
  /** RTP payload bytes accepted. */
  bytesReceived: number;
  /** Interarrival jitter, ms (RFC 3550 §6.4.1). */
  jitterMs: number;
  /** Current SSRC, 0 before the first packet. */
  ssrc: number;
  /** Peak absolute linear sample level of recent audio, 0–32767 (for the page's level meter). */
  level: number;
  /**
   * RTCP datagrams received (on port+1, or on the RTP port with rtcp-mux, RFC 5761), counted and
   * otherwise ignored for now. Always set by {@link RtpReceiver.stats}; optional only so that
   * stats literals written before this field existed stay valid.
   */
  rtcpPackets?: number;
}

/**
 * A pool of even RTP ports over a configured range (DESIGN.md §3); RTCP uses port+1 (RFC 3550 §11).
 * Released ports go to the back of the queue, so a port is reused as late as possible (stray
 * packets of the previous call die out first).
 */
export interface PortPool {
  /**
   * Takes the next free even RTP port (its RTCP port is `port + 1`).
   * @throws MediaPortsExhaustedError `MEDIA_PORTS_EXHAUSTED` when every port is in use.
   */
  allocate(): number;
  /**
   * Returns a port to the pool. Releasing a port that is not allocated is ignored (idempotent).
   * @throws RangeError if `port` is not an even port of the pool's range.
   */
  release(port: number): void;
  /** Ports currently allocated. */
  readonly inUse: number;
  /** Number of RTP ports (port pairs) the range holds. */
  readonly capacity: number;
}

/**
 * The media clock of one call, shared by every stream (receiver) of the call: `epochUs` is the
 * EASP call epoch T0 (EASP.md §1), wall-clock µs since the Unix epoch of the first media of the
 * call; 0 until the first frame of any stream sets it.
 */
export interface CallClock {
  /** Call epoch T0, µs since the Unix epoch; 0 until the first media of the call. */
  epochUs: number;
}

/** An RFC 4733 telephone-event (DTMF digit), reported once per event. */
export interface DtmfEvent {
  /** `0`–`9`, `*`, `#`, `A`–`D` (RFC 4733 §3.2 events 0–15). */
  digit: string;
  /** Position of the event start, samples since the call epoch (same timeline as frames). */
  pos: number;
  /** Duration of the event, samples (RFC 4733 §2.5.1.5). */
  durationSamples: number;
  /** Capture time of the event start, µs since the Unix epoch (arrival-anchored). */
  captureUs: number;
}

/** Options of {@link RtpReceiver} (one per accepted m-line). */
export interface RtpReceiverOptions {
  /** Local address to bind (e.g. `0.0.0.0`, `127.0.0.1`). */
  address: string;
  /**
   * Even RTP port from the {@link PortPool}; RTCP is bound on `port + 1` unless `rtcpMux`. `0` binds
   * an ephemeral port (tests; {@link RtpReceiver.port} tells which), and RTCP then gets its own.
   */
  port: number;
  /**
   * Negotiated payload types: G.711 (PCMU 0, PCMA 8), `telephone-event`, `CN` (13). The first
   * G.711 entry is the stream's codec; packets of another G.711 type are transcoded to it. PT 13
   * is taken as comfort noise even when not negotiated (RFC 3551 static assignment).
   */
  formats: PayloadFormat[];
  /**
   * The sender's address from the SDP offer (`c=`/`m=` port; `port: 0` = any port of that
   * address). Datagrams from elsewhere are counted (`packetsWrongSource`) and dropped, unless `latch`.
   */
  remote?: { address: string; port: number };
  /**
   * Symmetric-RTP latching: accept the first RTP source seen and lock to it.
   * @default true when `remote` is undefined, else false
   */
  latch?: boolean;
  /** RTCP is multiplexed on the RTP port (RFC 5761 `a=rtcp-mux`): no socket on port+1. @default false */
  rtcpMux?: boolean;
  /** Reorder window, ms: how long an out-of-order packet waits for the missing ones. @default 60 */
  reorderMs?: number;
  /** The call's shared epoch (set by the first frame of the call). */
  callClock: CallClock;
  /** Time source (arrival times, reorder timers). @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
  /**
   * Receives frames in order: AUDIO frames and GAP frames that tile the stream's timeline with no
   * hole and no overlap (EASP.md §1 invariant 2). Called from the socket handler: keep it short.
   */
  onFrame: (frame: MediaFrame) => void;
  /** Receives each RFC 4733 telephone-event once (on its end bit, or when the next event starts). */
  onDtmf?: (event: DtmfEvent) => void;
  /**
   * SRTP context of the sender's key (SDES `a=crypto` of the offer, RFC 4568): every datagram is
   * authenticated and decrypted (RFC 3711 §3.3) before anything else; refused ones are counted in
   * `packetsUnauthenticated`. Absent = plain RTP.
   */
  srtp?: SrtpContext;
  /** Gets every datagram of the RTP and RTCP ports before any check (the call's capture); see {@link DatagramTap}. */
  tap?: DatagramTap;
}

/**
 * Receives every datagram arriving on a stream's RTP and RTCP ports before any check (wrong source,
 * not RTP, SRTP still encrypted): the per-call packet capture. Called on the socket's path for
 * each packet: it must not keep `data` past the call unless it copies it, and must not throw.
 */
export interface DatagramTap {
  /**
   * One datagram: `data` exactly as Bun handed it over (no copy), the sender's address and port, and
   * our socket's bound address (possibly a wildcard) and port.
   */
  datagram(
    data: ArrayBuffer,
    remoteAddress: string,
    remotePort: number,
    localAddress: string,
    localPort: number,
  ): void;
}

/** The RTP receive side of one stream (DESIGN.md §3): sockets, reorder, loss, timeline, DTMF. */
export interface RtpReceiver {
  /** The RTP port (RTCP on `port + 1` unless rtcp-mux); the bound one after `start()` when 0 was asked. */
  readonly port: number;
  /**
   * Binds the RTP (and RTCP) sockets. Calling it again after success does nothing; after a failure
   * it tries again.
   * @throws MediaError `MEDIA_BIND` (with `port`) when a port cannot be bound; nothing stays bound.
   *   The caller then takes another port from the pool.
   * @throws InvalidStateError `INVALID_STATE` after {@link RtpReceiver.close}.
   */
  start(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): RtpReceiverStats;
  /**
   * Pauses or resumes recording (SIPREC pause, PCI): while paused, audio becomes GAP frames with
   * reason PausedPolicy (3) and DTMF is not reported.
   */
  setPaused(paused: boolean): void;
  /** Sets or removes the datagram tap (the call's capture starts once the call exists). */
  setTap(tap: DatagramTap | undefined): void;
  /** Replaces the SRTP context (the SRC re-keyed in a re-INVITE, RFC 4568 §7.1.4). */
  setSrtp(srtp: SrtpContext | undefined): void;
  /** Gives up the holes in the reorder buffer and emits everything it holds (on BYE, re-INVITE). */
  flush(): void;
  /** Closes the sockets and stops the timers; frames still held are dropped. Idempotent. */
  close(): void;
}
