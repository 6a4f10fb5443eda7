/**
 * siprec-edge command line: parses argv, runs one command, maps signals to a clean stop and
 * results to exit codes. The only file that calls `process.exit`.
 */
import { parseArgs } from "node:util";
import type { CommandIo, CommandResult } from "./app/index.ts";
import {
  checkConfigCommand,
  diagCommand,
  ExitCode,
  receiveCommand,
  runCommand,
  simulateCallCommand,
  spoolCheckCommand,
  spoolCommand,
  version,
} from "./app/index.ts";
import { createLogger } from "./lib/index.ts";

const defaultConfig = "/etc/siprec-edge/config.yaml";

// mqtt.js still calls url.parse(); its deprecation notice is not ours to act on and would land
// in the appliance's journal as an unstructured line.
process.noDeprecation = true;

const usage = `siprec-edge ${version} — SIPREC recording appliance (RFC 7866 SRS, store-and-forward to WebSocket)

Usage:
  siprec-edge run [--config FILE]              run the appliance (default config ${defaultConfig})
  siprec-edge check-config [--config FILE]     validate a configuration file, naming each bad key
  siprec-edge simulate-call --to HOST:PORT [--transport udp|tcp] [--codec PCMU|PCMA]
                            [--agent WAV --customer WAV]
                                               place a test SIPREC call with speech (8 kHz mono WAVs)
  siprec-edge receive --listen HOST:PORT --out DIR
                                               reference EASP/1 receiver writing WAV files
  siprec-edge spool ls [--config FILE | --web URL]
                                               calls in the running appliance's spool, sizes, per-sink backlog
  siprec-edge spool export CALL_ID (--wav DIR | --pcap FILE) [--config FILE | --web URL]
                                               a spooled call as WAV files (one per stream) or a pcap
  siprec-edge spool check [--config FILE | --spool-file PATH] [--stats | --integrity]
                                               spool statistics and PRAGMA integrity_check, read-only (JSON)
  siprec-edge diag [--config FILE] [--output DIR] [--pcaps N] [--capture SECONDS]
                                               write a support bundle (.tar.gz, secrets redacted) to DIR
                                               (default: here): versions, config, journal, status, spool,
                                               network, reachability, clock, the N newest call pcaps
                                               (default 10) and an optional tcpdump of SIP/RTP
  siprec-edge version                          print the version
`;

const io: CommandIo = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
  logger: createLogger({ level: "info" }),
};

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(ExitCode.Usage);
}

async function dispatch(command: string | undefined, argv: string[]): Promise<CommandResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: command === "spool",
    options: {
      config: { type: "string", default: defaultConfig },
      to: { type: "string" },
      transport: { type: "string", default: "udp" },
      codec: { type: "string", default: "PCMU" },
      agent: { type: "string" },
      customer: { type: "string" },
      listen: { type: "string" },
      out: { type: "string" },
      web: { type: "string" },
      wav: { type: "string" },
      pcap: { type: "string" },
      output: { type: "string", default: "." },
      pcaps: { type: "string", default: "10" },
      capture: { type: "string" },
      "spool-file": { type: "string" },
      stats: { type: "boolean", default: false },
      integrity: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(usage);
    return ExitCode.Ok;
  }
  switch (command) {
    case "run":
      return runCommand(values.config, io);
    case "check-config":
      return checkConfigCommand(values.config, io);
    case "receive":
      if (!values.listen || !values.out) fail("receive needs --listen HOST:PORT and --out DIR");
      return receiveCommand(values.listen, values.out, io);
    case "simulate-call": {
      if (!values.to) fail("simulate-call needs --to HOST:PORT");
      const transport = values.transport === "tcp" ? "tcp" : values.transport === "udp" ? "udp" : undefined;
      const codec = values.codec === "PCMA" ? "PCMA" : values.codec === "PCMU" ? "PCMU" : undefined;
      if (!transport) fail(`--transport must be udp or tcp, not "${values.transport}"`);
      if (!codec) fail(`--codec must be PCMU or PCMA, not "${values.codec}"`);
      if (Boolean(values.agent) !== Boolean(values.customer))
        fail("give both --agent and --customer, or neither");
      return simulateCallCommand(
        {
          to: values.to,
          transport,
          codec,
          ...(values.agent ? { agentWav: values.agent } : {}),
          ...(values.customer ? { customerWav: values.customer } : {}),
        },
        io,
      );
    }
    case "diag": {
      const pcaps = Number(values.pcaps);
      const capture = values.capture === undefined ? 0 : Number(values.capture);
      if (!Number.isInteger(pcaps) || pcaps < 0)
        fail(`--pcaps must be a whole number, not "${values.pcaps}"`);
      if (!Number.isInteger(capture) || capture < 0 || capture > 3600)
        fail(`--capture must be seconds from 1 to 3600, not "${values.capture}"`);
      return diagCommand(
        {
          config: values.config,
          outputDir: values.output,
          pcaps,
          ...(capture > 0 ? { captureSeconds: capture } : {}),
        },
        io,
      );
    }
    case "spool":
      if (positionals[0] === "check") {
        if (values.stats && values.integrity) fail("give --stats or --integrity, not both");
        return spoolCheckCommand(
          {
            config: values.config,
            ...(values["spool-file"] ? { spoolFile: values["spool-file"] } : {}),
            statsOnly: values.stats,
            integrityOnly: values.integrity,
          },
          io,
        );
      }
      return spoolCommand(
        {
          action: positionals[0],
          callId: positionals[1],
          web: values.web,
          config: values.config,
          wavDir: values.wav,
          pcapFile: values.pcap,
        },
        io,
      );
    case "version":
      io.out(version);
      return ExitCode.Ok;
    case undefined:
    case "help":
      io.out(usage);
      return ExitCode.Ok;
    default:
      return fail(`unknown command "${command}"`);
  }
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  let result: CommandResult;
  try {
    result = await dispatch(command, rest);
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) fail((err as Error).message);
    console.error(`siprec-edge ${command ?? ""}: ${(err as Error).message}`);
    return ExitCode.Failure;
  }
  if (typeof result === "number") return result;
  const running = result;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) process.exit(ExitCode.Failure);
    io.logger.info("signal received, stopping", { signal });
    void running.stop();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const reload = running.reload;
  if (reload) {
    process.on("SIGHUP", () => {
      io.logger.info("SIGHUP received, reloading the configuration");
      void reload();
    });
  }
  return running.done;
}

process.exit(await main());
