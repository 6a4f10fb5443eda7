import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { wavData } from "./received.ts";

/** Repository root. */
export const repoRoot = join(import.meta.dirname, "../..");

/**
 * The command that runs siprec-edge: the compiled binary when `make build` made one (what ships),
 * else the sources under Bun.
 */
export function applianceCommand(): string[] {
  const binary = join(repoRoot, "dist/siprec-edge");
  if (existsSync(binary)) return [binary];
  return [join(repoRoot, "node_modules/.bin/bun"), join(repoRoot, "src/main.ts")];
}

/** Returns a port that is free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const socket = createSocket("udp4");
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

/**
 * A media port range unlikely to collide with other test files running in parallel, below Linux's
 * ephemeral range (32768–60999) so client sockets of other processes do not sit on it.
 */
export function mediaPortRange(): [number, number] {
  const base = 20000 + 2 * Math.floor(Math.random() * 6000);
  return [base, base + 199];
}

/** A child process of siprec-edge with its collected output. */
export interface SpawnedProcess {
  readonly process: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Spawns `siprec-edge <args>` and collects its output. */
export function spawnSiprecEdge(args: string[], cwd: string = repoRoot): SpawnedProcess {
  const [command = "", ...prefix] = applianceCommand();
  const child = spawn(command, [...prefix, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    process: child,
    output: () => output,
    exited,
    stop: async (graceMs = 5000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls `probe` every 100 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A running appliance started from a YAML config in `dir`. */
export interface RunningAppliance extends SpawnedProcess {
  /** Base URL of the status page and API. */
  readonly webUrl: string;
  /** `/api/status` as JSON. */
  status(): Promise<ApplianceStatus>;
}

/** The parts of `/api/status` the tests read. */
export interface ApplianceStatus {
  health: { accepting: boolean; sip: { listening: string[] } };
  calls: { live: CallStatusJson[]; recent: CallStatusJson[] };
  counters: Record<string, number>;
}

/** One call of `/api/status`. */
export interface CallStatusJson {
  callId: string;
  sipCallId: string;
  /** SRC address `host:port` the INVITE came from. */
  source: string;
  state: string;
  reason: string;
  correlation: Record<string, string>;
  participants: { participantId: string; aor: string; role: string }[];
  streams: {
    streamId: number;
    label: string;
    codec: string;
    role: string;
    packetsReceived: number;
    packetsLost: number;
    framesSpooled: number;
  }[];
  sinks: { sink: string; unit: string; state: string; ackedSeq: number; sentSeq: number }[];
}

/**
 * Writes `config.yaml` into `dir` and runs `siprec-edge run --config dir/config.yaml`, waiting
 * until `/healthz` answers.
 * @param webPort the port of `web.listen` in the YAML.
 */
export async function startAppliance(dir: string, yaml: string, webPort: number): Promise<RunningAppliance> {
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, yaml);
  const spawned = spawnSiprecEdge(["run", "--config", configPath], dir);
  const webUrl = `http://127.0.0.1:${webPort}`;
  try {
    await Promise.race([
      waitFor("the appliance's /healthz", async () =>
        (await fetch(`${webUrl}/healthz`)).ok ? true : undefined,
      ),
      spawned.exited.then((code) => {
        throw new Error(`siprec-edge exited with ${code}:\n${spawned.output()}`);
      }),
    ]);
  } catch (err) {
    await spawned.stop();
    throw err;
  }
  return {
    ...spawned,
    webUrl,
    status: async () => (await (await fetch(`${webUrl}/api/status`)).json()) as ApplianceStatus,
  };
}

/** One stream of `GET /api/calls/:callId` (the parts the tests read). */
export interface SpooledStreamJson {
  streamId: number;
  label: string;
  frames: number;
  audioFrames: number;
  gapFrames: number;
}

/**
 * What the spool holds for a call, asked through the daemon's API (the tests never read the
 * spool's SQLite schema): per stream label, the frame counts and the recorded codec bytes (the
 * stream's WAV `data` chunk, gaps as silence).
 */
export async function spooledStreams(
  webUrl: string,
  callId: string,
): Promise<Array<SpooledStreamJson & { data: Uint8Array }>> {
  const detail = (await (await fetch(`${webUrl}/api/calls/${callId}`)).json()) as {
    streams: SpooledStreamJson[];
  };
  return Promise.all(
    detail.streams.map(async (s) => {
      const wav = new Uint8Array(
        await (await fetch(`${webUrl}/api/calls/${callId}/streams/${s.streamId}.wav`)).arrayBuffer(),
      );
      return { ...s, data: wavData(wav) };
    }),
  );
}
