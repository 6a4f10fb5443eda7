import { startEaspReceiver } from "../../tools/index.ts";
import { type CommandIo, type CommandResult, ExitCode } from "./command-types.ts";
import { untilStopped } from "./until-stopped.ts";

/**
 * `siprec-edge receive --listen HOST:PORT --out DIR`: the reference EASP/1 receiver; writes one
 * WAV per stream and a JSON file per session under DIR, acknowledging what is on disk.
 * @returns 64 (EX_USAGE) for a bad address, else a running command.
 */
export async function receiveCommand(listen: string, outDir: string, io: CommandIo): Promise<CommandResult> {
  const m = /^(.+):(\d{1,5})$/.exec(listen);
  if (!m) {
    io.err(`--listen: "${listen}" is not HOST:PORT (e.g. 127.0.0.1:18080)`);
    return ExitCode.Usage;
  }
  const receiver = await startEaspReceiver({
    host: m[1] ?? "",
    port: Number(m[2]),
    outDir,
    logger: io.logger,
  });
  io.logger.info("EASP receiver listening", { url: `ws://${m[1]}:${receiver.port}/stream`, outDir });
  return untilStopped(() => receiver.close());
}
