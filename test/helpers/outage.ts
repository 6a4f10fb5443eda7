import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { createConnection } from "node:net";
import { join } from "node:path";
import {
  freePort,
  type RunningAppliance,
  type SpawnedProcess,
  spawnSiprecEdge,
  startAppliance,
  waitFor,
} from "./appliance.ts";
import { type MosquittoBroker, startMosquitto } from "./mosquitto.ts";
import { openRawSipPeer } from "./raw-sip.ts";

/**
 * Process-level chaos for the store-and-forward tests: `kill -9` and restart of the appliance,
 * outages of the MQTT broker and of the upstream EASP receiver, each restarted on the same port.
 */

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * `kill -9`: sends SIGKILL to a spawned process and waits until it is gone (no graceful shutdown,
 * nothing flushed that was not already on disk).
 * @returns the signal that ended it (`"SIGKILL"`), or its exit code if it had already exited.
 */
export async function killHard(proc: SpawnedProcess): Promise<string | number | null> {
  const child = proc.process;
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await proc.exited;
  return child.signalCode ?? child.exitCode;
}

/** One SIP response status as the probe saw it. */
export interface OptionsAnswer {
  /** Status code, e.g. 200 or 503. */
  status: number;
  /** The `Retry-After` header value, if any (RFC 3261 §20.33). */
  retryAfter: string | undefined;
}

/**
 * Sends one out-of-dialog OPTIONS over UDP from 127.0.0.1 to `127.0.0.1:sipPort` and returns the final
 * response (RFC 3261 §11).
 * @throws Error when no final response arrives within `timeoutMs` (default 1000).
 */
export async function sipOptions(sipPort: number, timeoutMs = 1000): Promise<OptionsAnswer> {
  const peer = await openRawSipPeer();
  try {
    const callId = `options-probe-${crypto.randomUUID()}`;
    peer.send(optionsRequest(callId, peer.port, sipPort), sipPort);
    const response = await peer.finalResponse(callId, timeoutMs);
    return { status: response.status, retryAfter: response.header("retry-after") };
  } finally {
    peer.close();
  }
}

/**
 * Probes `127.0.0.1:sipPort` with OPTIONS (a new one every 50 ms while none is answered) until one
 * gets `200`, and returns the ms from the call until that answer arrived.
 * @throws Error when no `200` arrives within `timeoutMs` (default 15000).
 */
export async function waitUntilAccepting(sipPort: number, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  const peer = await openRawSipPeer();
  try {
    for (let n = 0; ; n++) {
      const callId = `accepting-probe-${n}-${crypto.randomUUID()}`;
      peer.send(optionsRequest(callId, peer.port, sipPort), sipPort);
      const answer = await peer.finalResponse(callId, 50).catch(() => undefined);
      if (answer?.status === 200) return performance.now() - started;
      if (performance.now() - started > timeoutMs) {
        throw new Error(`no 200 to OPTIONS on 127.0.0.1:${sipPort} within ${timeoutMs} ms`);
      }
      if (answer) await sleep(50);
    }
  } finally {
    peer.close();
  }
}

function optionsRequest(callId: string, localPort: number, sipPort: number): string {
  return `OPTIONS sip:srs@127.0.0.1:${sipPort} SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-${callId}
Max-Forwards: 70
From: <sip:probe@127.0.0.1>;tag=probe-${callId.slice(-8)}
To: <sip:srs@127.0.0.1>
Call-ID: ${callId}
CSeq: 1 OPTIONS
Accept: application/sdp
Content-Length: %LEN%

`;
}

/** Options of {@link restartAppliance}. */
export interface RestartApplianceOptions {
  /**
   * SIP UDP port to probe with OPTIONS for {@link RestartedAppliance.acceptingMs}.
   * @default the first `udp:HOST:PORT` of `sip.listen` in the config (no probe if there is none)
   */
  sipPort?: number;
  /** Give up after this long, ms. @default 15000 */
  timeoutMs?: number;
}

/** The appliance after {@link restartAppliance}, with how long it took to come back. */
export interface RestartedAppliance {
  appliance: RunningAppliance;
  /** From the spawn until `/healthz` answered, ms (100 ms polling granularity). */
  healthzMs: number;
  /** From the spawn until the first `200` to OPTIONS on the SIP port, ms (undefined without a UDP SIP port). */
  acceptingMs: number | undefined;
}

/**
 * Starts the appliance again with the same command and the same `dir/config.yaml` (same spool, same
 * ports) through `startAppliance`, and measures its time to accepting: OPTIONS are sent to its SIP
 * port from the moment of the spawn until one gets `200`. The old process must be gone first (see
 * {@link killHard}), or it would answer the probe.
 * @throws Error when the config is missing, the appliance exits, or it does not accept in time.
 */
export async function restartAppliance(
  dir: string,
  webPort: number,
  options: RestartApplianceOptions = {},
): Promise<RestartedAppliance> {
  const yaml = await readFile(join(dir, "config.yaml"), "utf8");
  const sipPort = options.sipPort ?? sipUdpPortOf(yaml);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const started = performance.now();
  const accepting =
    sipPort === undefined ? Promise.resolve(undefined) : waitUntilAccepting(sipPort, timeoutMs);
  // Keep a rejection from going unhandled while the appliance starts.
  accepting.catch(() => {});
  const appliance = await startAppliance(dir, yaml, webPort);
  const healthzMs = performance.now() - started;
  try {
    const acceptingMs = await accepting;
    return { appliance, healthzMs, acceptingMs };
  } catch (err) {
    await appliance.stop();
    throw err;
  }
}

/** `kill -9` of a running appliance, then {@link restartAppliance} with its config. */
export async function crashAndRestartAppliance(
  appliance: RunningAppliance,
  dir: string,
  webPort: number,
  options: RestartApplianceOptions = {},
): Promise<RestartedAppliance> {
  await killHard(appliance);
  return restartAppliance(dir, webPort, options);
}

/** The port of the first `udp:HOST:PORT` in a YAML config's `sip.listen`, if any. */
export function sipUdpPortOf(yaml: string): number | undefined {
  const match = /["']?udp:[^:"'\s]+:(\d+)/.exec(yaml);
  return match ? Number(match[1]) : undefined;
}

/** Options of {@link restartMosquitto}. */
export interface RestartMosquittoOptions {
  /** How long the broker stays down, ms. @default 0 */
  downMs?: number;
  /**
   * The `persistDir` the broker was started with (`startMosquitto`), so the new broker restores its
   * sessions and queued QoS 1 messages. @default no persistence
   */
  persistDir?: string;
}

/**
 * Broker outage: stops the broker (SIGTERM), waits `downMs`, and starts a new one on the same port.
 * Clients must reconnect; without `persistDir` they must also subscribe again, since the new broker
 * knows no sessions.
 * @throws Error when the new broker cannot listen on the port.
 */
export async function restartMosquitto(
  broker: MosquittoBroker,
  options: RestartMosquittoOptions = {},
): Promise<MosquittoBroker> {
  await broker.stop();
  if (options.downMs) await sleep(options.downMs);
  return startMosquitto({ port: broker.port, persistDir: options.persistDir });
}

/** A running `siprec-edge receive` (the reference EASP/1 receiver). */
export interface RunningReceiver extends SpawnedProcess {
  /** TCP port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Its `--out` folder. */
  readonly outDir: string;
  /** `ws://127.0.0.1:<port>/stream`, for a sink's `url`. */
  readonly url: string;
}

/** Options of {@link startReceiver}. */
export interface StartReceiverOptions {
  /** `--out` folder (created if missing). */
  outDir: string;
  /** Port on 127.0.0.1. @default a free port */
  port?: number;
  /** Give up after this long, ms. @default 10000 */
  timeoutMs?: number;
}

/**
 * Runs `siprec-edge receive --listen 127.0.0.1:PORT --out DIR` and resolves once it accepts TCP
 * connections.
 * @throws Error when it exits early or does not listen within `timeoutMs`.
 */
export async function startReceiver(options: StartReceiverOptions): Promise<RunningReceiver> {
  const port = options.port ?? (await freePort());
  await mkdir(options.outDir, { recursive: true });
  const spawned = spawnSiprecEdge(["receive", "--listen", `127.0.0.1:${port}`, "--out", options.outDir]);
  try {
    await Promise.race([
      waitFor(
        "the receiver to listen",
        async () => ((await accepts(port)) ? true : undefined),
        options.timeoutMs ?? 10_000,
      ),
      spawned.exited.then((code) => {
        throw new Error(`siprec-edge receive exited with ${code}:\n${spawned.output()}`);
      }),
    ]);
  } catch (err) {
    await spawned.stop();
    throw err;
  }
  return { ...spawned, port, outDir: options.outDir, url: `ws://127.0.0.1:${port}/stream` };
}

/** Options of {@link restartReceiver}. */
export interface RestartReceiverOptions {
  /**
   * How the receiver is stopped: SIGTERM (it commits and closes its sessions with 1001) or SIGKILL
   * (`kill -9`: connections reset, uncommitted writes cut back on the next start).
   * @default "SIGTERM"
   */
  signal?: "SIGTERM" | "SIGKILL";
  /** How long it stays down, ms. @default 0 */
  downMs?: number;
  /**
   * "Receiver lost state": start it with an empty out folder. `"wipe"` empties the old folder;
   * a path starts it on that folder instead (it must be empty or missing), keeping the old one.
   */
  emptyOutDir?: "wipe" | string;
}

/**
 * Receiver outage: stops a {@link RunningReceiver}, waits `downMs`, and starts it again on the same
 * port, with the same out folder (it resumes every committed session) or an empty one.
 * @throws Error when the new out folder is not empty (checked before the receiver is stopped), or the
 *   receiver does not come back.
 */
export async function restartReceiver(
  receiver: RunningReceiver,
  options: RestartReceiverOptions = {},
): Promise<RunningReceiver> {
  let outDir = receiver.outDir;
  if (options.emptyOutDir !== undefined && options.emptyOutDir !== "wipe") {
    outDir = options.emptyOutDir;
    const entries = await readdir(outDir).catch(() => []);
    if (entries.length > 0) throw new Error(`${outDir} is not empty`);
  }
  if (options.signal === "SIGKILL") await killHard(receiver);
  else await receiver.stop();
  if (options.emptyOutDir === "wipe") await rm(outDir, { recursive: true, force: true });
  if (options.downMs) await sleep(options.downMs);
  return startReceiver({ outDir, port: receiver.port });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      socket.destroy();
      resolve(false);
    });
  });
}
