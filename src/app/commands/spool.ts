import { existsSync } from "node:fs";
import type { DaemonAuth } from "../../tools/index.ts";
import { exportCall, listCalls, SpoolClientError } from "../../tools/index.ts";
import { ConfigError, loadConfig } from "../config.ts";
import { type CommandIo, ExitCode } from "./command-types.ts";

/** Arguments of `siprec-edge spool ls|export`. */
export interface SpoolArgs {
  /** `ls` or `export`. */
  action: string | undefined;
  /** The call to export (our call id). */
  callId: string | undefined;
  /** The running daemon's web address; default: from the configuration's `web.listen`. */
  web: string | undefined;
  /** Configuration file, for `web.listen` and `web.auth`. */
  config: string;
  wavDir: string | undefined;
  pcapFile: string | undefined;
}

/** The daemon's base URL and credentials, from `--web` or the configuration. */
function daemon(args: SpoolArgs): { url: string; auth?: DaemonAuth } {
  const config = existsSync(args.config) ? loadConfig(args.config) : undefined;
  const listen = config?.web.listen ?? "127.0.0.1:8080";
  const url = args.web ?? `http://${listen.replace(/^(0\.0\.0\.0|\[::\]):/, "127.0.0.1:")}`;
  const auth = config?.web.auth;
  if (auth?.token) return { url, auth: { token: auth.token } };
  if (auth?.username && auth.password)
    return { url, auth: { username: auth.username, password: auth.password } };
  return { url };
}

/**
 * `siprec-edge spool ls` (calls, sizes, per-sink backlog) and `siprec-edge spool export CALL
 * --wav DIR | --pcap FILE`. Both ask the running daemon over its HTTP API and never open the live
 * SQLite file (DESIGN.md §4).
 * @returns 0 on success, 64 for a usage error, 1 when the daemon cannot be reached or refuses.
 */
export async function spoolCommand(args: SpoolArgs, io: CommandIo): Promise<number> {
  try {
    const { url, auth } = daemon(args);
    if (args.action === "ls") {
      io.out(await listCalls(url, auth));
      return ExitCode.Ok;
    }
    if (args.action === "export") {
      if (!args.callId || (!args.wavDir && !args.pcapFile)) {
        io.err("usage: siprec-edge spool export CALL_ID (--wav DIR | --pcap FILE)");
        return ExitCode.Usage;
      }
      const result = await exportCall(
        url,
        args.callId,
        {
          ...(args.wavDir ? { wavDir: args.wavDir } : {}),
          ...(args.pcapFile ? { pcapFile: args.pcapFile } : {}),
        },
        auth,
      );
      for (const file of [...result.wavFiles, ...(result.pcapFile ? [result.pcapFile] : [])]) io.out(file);
      return ExitCode.Ok;
    }
    io.err(`usage: siprec-edge spool ls | spool export CALL_ID (--wav DIR | --pcap FILE)`);
    return ExitCode.Usage;
  } catch (err) {
    if (err instanceof SpoolClientError || err instanceof ConfigError) {
      io.err(err.message);
      return ExitCode.Failure;
    }
    throw err;
  }
}
