import type { SinkFeed, StreamEndReason } from "../sinks/index.ts";
import type { CallRecord, FrameRecord, StreamRecord } from "../spool/index.ts";

/**
 * The recording feed handed to both kinds of sink: the EASP dispatcher (WebSocket sinks) and the
 * SIPREC forwarder. Two explicit members, no array walk: `frame` runs once per RTP packet.
 */
export class SinkFeedPair implements SinkFeed {
  constructor(
    private readonly first: SinkFeed,
    private readonly second: SinkFeed,
  ) {}

  callStarted(call: CallRecord): void {
    this.first.callStarted(call);
    this.second.callStarted(call);
  }

  callUpdated(call: CallRecord): void {
    this.first.callUpdated(call);
    this.second.callUpdated(call);
  }

  streamStarted(call: CallRecord, stream: StreamRecord): void {
    this.first.streamStarted(call, stream);
    this.second.streamStarted(call, stream);
  }

  frame(frame: FrameRecord): void {
    this.first.frame(frame);
    this.second.frame(frame);
  }

  streamEnded(stream: StreamRecord, reason: StreamEndReason): void {
    this.first.streamEnded(stream, reason);
    this.second.streamEnded(stream, reason);
  }

  callEnded(call: CallRecord): void {
    this.first.callEnded(call);
    this.second.callEnded(call);
  }
}
