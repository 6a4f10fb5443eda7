/**
 * Shapes of the RTP send side of a SIPREC forward session (we are the SRC, RFC 7866 §7.1.1).
 * @module
 */
import type { Clock, Logger } from "../lib/index.ts";
import type { G711Codec } from "./g711.ts";
import type { MediaFrame } from "./media-types.ts";

/** Where RTP goes: the remote SRS's address and port from its SDP answer. */
export interface RtpRemote {
  /** IPv4 or IPv6 literal of the local address's family (resolve host names first). */
  address: string;
  /** UDP port, 1–65535. */
  port: number;
}

/** Options of {@link RtpSender}, one per forwarded m-line. */
export interface RtpSenderOptions {
  /** Local address to bind and send from, e.g. `0.0.0.0`, `127.0.0.1`, `::`. */
  localAddress: string;
  /** Local RTP port the caller allocated (e.g. from a {@link PortPool}); 0 binds an ephemeral port. */
  localPort: number;
  /** The remote SRS's RTP address and port. */
  remote: RtpRemote;
  /** Negotiated RTP payload type, 0–127 (the answer's number, RFC 3264 §6.1). */
  payloadType: number;
  /** Negotiated codec: what goes on the wire. */
  codec: G711Codec;
  /** Codec of the frames' payloads (the recorded stream's); transcoded to `codec` when different. */
  sourceCodec: G711Codec;
  /** RTP clock rate, Hz. @default 8000 */
  rate?: number;
  /**
   * Pacing, as a multiple of real time: 1 sends each frame when its duration has elapsed since the
   * previous one, 2 twice as fast (catch-up replays, `replay.max_rate`), 0 as fast as possible (in
   * batches, yielding to the event loop between them). @default 1
   */
  maxRate?: number;
  /**
   * How far behind schedule a frame may be before the schedule restarts from it, ms: frames that
   * arrive late by less are sent at once to catch up; later ones restart pacing instead of bursting.
   * @default 200
   */
  maxLagMs?: number;
  /**
   * Turns each RTP packet into what is sent (e.g. SRTP protect, RFC 3711 §3.3). Called once per
   * packet with a view of a buffer the sender reuses: read it before returning, keep nothing.
   */
  protect?: (packet: Uint8Array) => Uint8Array;
  /** SSRC, unsigned 32-bit. @default random (RFC 3550 §8.1) */
  ssrc?: number;
  /** Time source for pacing. @default systemClock */
  clock?: Clock;
  /** @default silentLogger */
  logger?: Logger;
}

/** Counters of one {@link RtpSender}. */
export interface RtpSenderStats {
  /** The stream's SSRC. */
  ssrc: number;
  /** RTP packets handed to the socket (RFC 3550 §6.4.1 "sender's packet count"). */
  packetsSent: number;
  /** Payload octets sent, header and SRTP trailer excluded (RFC 3550 §6.4.1 "sender's octet count"). */
  octetsSent: number;
  /** UDP payload bytes sent: RTP header, payload and SRTP trailer. */
  bytesSent: number;
  /** AUDIO frames not sent because the sender was paused. */
  framesSkipped: number;
  /** Sends that failed, and ICMP errors reported by the socket (e.g. `ECONNREFUSED`). */
  sendErrors: number;
  /** Times pacing restarted because a frame was later than `maxLagMs`. */
  scheduleResets: number;
  /** Frames waiting to be sent. */
  queuedFrames: number;
}

/**
 * Sends one stream's audio as RTP to a remote SRS, paced in real time (or at `maxRate`), with its
 * own SSRC, sequence numbers and timestamps (RFC 3550 §5.1), G.711 transcoding to the negotiated
 * codec and an optional `protect` hook for SRTP.
 */
export interface RtpSender {
  /** The bound local port (the allocated one, or the ephemeral one after `start()` when 0 was asked). */
  readonly localPort: number;
  /** The SSRC of the stream. */
  readonly ssrc: number;
  /** Frames waiting to be sent. */
  readonly queuedFrames: number;
  /**
   * Binds the socket and points it at the remote. Calling it again after success does nothing.
   * @throws MediaError `MEDIA_BIND` (with `port`) when the local port cannot be bound (or, which an IP
   *   literal of the right family should never cause, the socket cannot be connected); nothing stays bound.
   * @throws InvalidStateError `INVALID_STATE` after {@link RtpSender.close}.
   */
  start(): Promise<void>;
  /**
   * Queues a frame (AUDIO or GAP, in timeline order). Its RTP timestamp follows from its `pos`, so a
   * GAP frame or a hole in `pos` advances the timestamp without packets and marks the next packet.
   * Frames may be queued before `start()`; they are sent once the socket is up. Ignored after close.
   */
  enqueue(frame: MediaFrame): void;
  /** Resolves when every queued frame has been handled (or the sender is closed). */
  whenDrained(): Promise<void>;
  /**
   * Pauses or resumes sending (SIPREC pause, `a=inactive` re-INVITE): while paused, frames are consumed
   * at their pace without packets; the first packet after resuming carries the marker bit.
   */
  setPaused(paused: boolean): void;
  /**
   * Sends to another address from now on (a re-INVITE's answer moved the stream); resolves once the
   * socket points there. SSRC, sequence numbers and timestamps continue. Of overlapping calls, the
   * last one's remote wins.
   * @throws TypeError / RangeError for a remote that is not an IP literal of the local family or a bad port.
   * @throws MediaError `MEDIA_BIND` if the socket cannot be connected there.
   * @throws InvalidStateError `INVALID_STATE` after {@link RtpSender.close}.
   */
  setRemote(remote: RtpRemote): Promise<void>;
  /** A snapshot of the counters. */
  stats(): RtpSenderStats;
  /** Stops the pacing timer, drops queued frames and closes the socket. Idempotent. */
  close(): void;
}
