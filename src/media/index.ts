/**
 * RTP receive: port pool, receivers, reorder, loss/DTX gaps, DTMF, G.711 (DESIGN.md §3); RTP send for
 * SIPREC forwarding (DESIGN.md §5).
 * @module
 */
export { MediaError, MediaPortsExhaustedError } from "./errors.ts";
export { decodeG711Into, encodeG711, transcodeG711 } from "./g711.ts";
export type * from "./media-types.ts";
export { createPortPool } from "./port-pool.ts";
export { buildRtpPacket, type RtpPacketFields } from "./rtp-packet.ts";
export { createRtpReceiver } from "./rtp-receiver.ts";
export { createRtpSender } from "./rtp-sender.ts";
export type { RtpRemote, RtpSender, RtpSenderOptions, RtpSenderStats } from "./rtp-sender-types.ts";
export { buildWav, type WavFormat, type WavOptions } from "./wav-writer.ts";
