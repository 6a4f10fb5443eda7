import type { Clock } from "../lib/index.ts";
import type { CallCapture, SipWireMessage } from "./capture-types.ts";
import { isWildcardAddress } from "./ip-address.ts";
import type { PcapFileWriter } from "./pcap-file-writer.ts";

/**
 * The capture file of one call ({@link CallCapture}): RTP/RTCP datagrams and SIP messages as UDP
 * records of one {@link PcapFileWriter}, timestamped with the clock's wall time on arrival.
 *
 * SIP over TCP or TLS is written as UDP datagrams with the connection's real addresses and ports
 * (TLS: the decrypted message), one datagram per framed message: a per-call capture sees only some
 * messages of a shared connection, so made-up TCP segments would show gaps and retransmission
 * warnings everywhere; Wireshark dissects SIP in UDP records the same way, and the Via header and
 * the SIP message ring still name the real transport.
 *
 * Our side's address, when a socket is bound to a wildcard (`0.0.0.0`, `::`), is replaced by
 * `localAddress` (the SDP answer's `c=` address), since Wireshark matches RTP to the SDP by address
 * and port.
 */
export class CallCaptureFile implements CallCapture {
  readonly callId: string;
  readonly sipCallId: string;
  readonly #writer: PcapFileWriter;
  readonly #localAddress: string | undefined;
  readonly #clock: Clock;
  readonly #onClose: (capture: CallCaptureFile) => void;
  #closed = false;

  /** @internal Created by the capture store. */
  constructor(init: {
    callId: string;
    sipCallId: string;
    writer: PcapFileWriter;
    localAddress: string | undefined;
    clock: Clock;
    onClose: (capture: CallCaptureFile) => void;
  }) {
    this.callId = init.callId;
    this.sipCallId = init.sipCallId;
    this.#writer = init.writer;
    this.#localAddress = init.localAddress;
    this.#clock = init.clock;
    this.#onClose = init.onClose;
  }

  get open(): boolean {
    return !this.#closed && this.#writer.open;
  }

  /** The file's path. */
  get path(): string {
    return this.#writer.path;
  }

  /** Bytes in the file plus bytes buffered. */
  get bytes(): number {
    return this.#writer.bytes;
  }

  /** Datagrams captured. */
  get packets(): number {
    return this.#writer.packets;
  }

  datagram(
    data: ArrayBuffer,
    remoteAddress: string,
    remotePort: number,
    localAddress: string,
    localPort: number,
  ): void {
    const local =
      this.#localAddress !== undefined && isWildcardAddress(localAddress) ? this.#localAddress : localAddress;
    this.#writer.writeUdp(
      this.#clock.wallUs(),
      remoteAddress,
      remotePort,
      local,
      localPort,
      new Uint8Array(data),
    );
  }

  sip(message: SipWireMessage, timeUs: number): void {
    const ours = message.local;
    const local =
      this.#localAddress !== undefined && isWildcardAddress(ours.address) ? this.#localAddress : ours.address;
    const peer = message.remote;
    if (message.direction === "in") {
      this.#writer.writeUdp(timeUs, peer.address, peer.port, local, ours.port, message.bytes);
    } else {
      this.#writer.writeUdp(timeUs, local, ours.port, peer.address, peer.port, message.bytes);
    }
  }

  /** Writes the buffered records to the file (the store's flush timer). */
  flush(): void {
    this.#writer.flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.close();
    this.#onClose(this);
  }
}
