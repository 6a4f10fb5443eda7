/**
 * Per-call packet capture (DESIGN.md §3, §6; issue 6 part 4): libpcap files of the SIP messages and
 * RTP/RTCP datagrams the appliance received for each call (and the SIP it sent), readable by
 * tshark/Wireshark with RTP decoded from the SDP in the same file, and a ring of recent SIP
 * messages. Imports only `lib`.
 * @module
 */
export { CallCaptureFile } from "./call-capture-file.ts";
export { CaptureStore, type CaptureStoreOptions, type CaptureSweepResult } from "./capture-store.ts";
export type * from "./capture-types.ts";
export { CaptureError } from "./errors.ts";
export { ipAddressBytes, isWildcardAddress } from "./ip-address.ts";
export { PcapFileWriter, type PcapFileWriterOptions } from "./pcap-file-writer.ts";
export {
  linkTypeRaw,
  maxUdpPayloadIpv4,
  maxUdpPayloadIpv6,
  PcapRecordBuffer,
  pcapGlobalHeader,
  pcapGlobalHeaderBytes,
  pcapRecordHeaderBytes,
} from "./pcap-record-buffer.ts";
export { sipCallIdOf } from "./sip-call-id.ts";
export { formatSipMessageHeader, type RingedSipMessage, SipMessageRing } from "./sip-message-ring.ts";
export { SipWireRecorder, type SipWireRecorderOptions } from "./sip-wire-recorder.ts";
