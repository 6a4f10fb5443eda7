/**
 * `simulate-call`: our own SIPREC SRC (RFC 7866) for `make demo` and for field technicians' test calls.
 * @module
 */
export { defaultSpeech } from "./default-speech.ts";
export { SimulateCallError, type SimulateCallErrorCode, WavFormatError } from "./errors.ts";
export type { SimulatedCodec } from "./recording-offer.ts";
export { type SimulateCallOptions, type SimulatedCallResult, simulateCall } from "./simulate-call.ts";
export type { SimulatedTransport } from "./sip-channel.ts";
export { readWav16Mono } from "./wav.ts";
