/**
 * Shapes the capture core shares with its callers (the SIP wire tap, the RTP receivers' datagram
 * tap, the SRS). Types only: structurally the same as `sip`'s and `media`'s own, which `capture`
 * may not import.
 */

/** An IP address and UDP/TCP port. */
export interface WireEndpoint {
  /** IP address text (IPv4 dotted quad or IPv6, no brackets); `0.0.0.0`/`::` for a wildcard bind. */
  address: string;
  /** Port, 0–65535. */
  port: number;
}

/** Which way a SIP message went: received (`in`) or sent (`out`) by us. */
export type WireDirection = "in" | "out";

/** One SIP message as it crossed a socket (the SIP stack's wire tap). */
export interface SipWireMessage {
  /** Received or sent. */
  direction: WireDirection;
  /** Transport it travelled on (`udp`, `tcp`, `tls`; TLS as decrypted). */
  transport: string;
  /** Our socket. */
  local: WireEndpoint;
  /** The peer. */
  remote: WireEndpoint;
  /**
   * The message's bytes as received or sent (one datagram, or one framed message of a stream);
   * may be a view the caller reuses after the call returns, so it is copied if kept.
   */
  bytes: Uint8Array;
}

/**
 * The per-call capture of a recording session: the RTP receivers of its streams hand it every
 * datagram (the `datagram` method is the media layer's datagram tap), the SIP recorder its
 * messages, and the SRS closes it when the call ends.
 */
export interface CallCapture {
  /** Our call id (spool `callId`). */
  readonly callId: string;
  /** SIP Call-ID of the recording session's dialog. */
  readonly sipCallId: string;
  /** Whether it is still being written. */
  readonly open: boolean;
  /**
   * Captures one datagram received on a stream's RTP or RTCP port, as received (SRTP encrypted),
   * timestamped now. `data` is not kept (its bytes are copied).
   */
  datagram(
    data: ArrayBuffer,
    remoteAddress: string,
    remotePort: number,
    localAddress: string,
    localPort: number,
  ): void;
  /** Captures one SIP message of the call at `timeUs` (µs since the Unix epoch). */
  sip(message: SipWireMessage, timeUs: number): void;
  /** Flushes and closes the file; later datagrams are ignored. Idempotent. */
  close(): void;
}

/** What the SRS needs to start a call's capture (the capture store). */
export interface CallCaptureOpener {
  /**
   * Starts the capture of a call whose INVITE was accepted; SIP messages of that Call-ID received
   * or sent before (INVITE, 100 Trying) are written first. `localAddress` stands in for our side's
   * address where a socket is bound to a wildcard (use the SDP answer's `c=` address, so that
   * Wireshark's SDP-based RTP conversations match). Undefined when the capture could not be created
   * (logged).
   */
  open(callId: string, sipCallId: string, options?: { localAddress?: string }): CallCapture | undefined;
}
