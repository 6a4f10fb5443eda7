import { defaultSpeech, readWav16Mono, simulateCall } from "../../tools/index.ts";
import { type CommandIo, ExitCode } from "./command-types.ts";

/** Options of `siprec-edge simulate-call`. */
export interface SimulateCallArgs {
  /** SRS address, HOST:PORT. */
  to: string;
  transport: "udp" | "tcp";
  codec: "PCMU" | "PCMA";
  /** 8 kHz 16-bit mono WAV files for the two participants; default: the built-in speech. */
  agentWav?: string;
  customerWav?: string;
}

/**
 * `siprec-edge simulate-call --to HOST:PORT`: places one SIPREC recording session as an SRC
 * would (multipart INVITE with two labelled sendonly m-lines and RFC 7865 metadata, paced RTP,
 * BYE), for demos and for a technician's test call.
 * @returns 0 when the SRS answered 2xx and the call completed, 1 otherwise.
 */
export async function simulateCallCommand(args: SimulateCallArgs, io: CommandIo): Promise<number> {
  const m = /^(.+):(\d{1,5})$/.exec(args.to);
  if (!m) {
    io.err(`--to: "${args.to}" is not HOST:PORT (e.g. 127.0.0.1:5060)`);
    return ExitCode.Usage;
  }
  const audio: [Int16Array, Int16Array] =
    args.agentWav && args.customerWav
      ? [
          readWav16Mono(await Bun.file(args.agentWav).bytes()),
          readWav16Mono(await Bun.file(args.customerWav).bytes()),
        ]
      : await defaultSpeech();
  io.out(
    `Calling ${args.to} over ${args.transport.toUpperCase()} with ${args.codec} (${(audio[0].length / 8000).toFixed(1)} s of speech)…`,
  );
  const result = await simulateCall({
    target: { host: m[1] ?? "", port: Number(m[2]) },
    transport: args.transport,
    codec: args.codec,
    audio,
    logger: io.logger,
  });
  if (result.status < 200 || result.status >= 300) {
    io.err(`The SRS answered ${result.status} ${result.reason}`);
    return ExitCode.Failure;
  }
  io.out(
    `Call ${result.sipCallId}: ${result.status} ${result.reason}; sent ${result.packetsSent[0]} + ${result.packetsSent[1]} RTP packets ` +
      `(${result.payloadBytes[0]} + ${result.payloadBytes[1]} payload bytes) in ${(result.durationMs / 1000).toFixed(1)} s, then BYE.`,
  );
  return ExitCode.Ok;
}
