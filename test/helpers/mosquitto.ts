import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mosquitto broker owned by a test, listening on 127.0.0.1 only. */
export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  /** TCP port the broker listens on. */
  readonly port: number;
  /** Stops the broker cleanly (SIGTERM) and waits for it to exit; removes its temp folder. Idempotent. */
  stop(): Promise<void>;
  /** Kills the broker at once (SIGKILL), without waiting; removes its temp folder. Idempotent. */
  kill(): void;
}

/** Options of {@link startMosquitto}. */
export interface StartMosquittoOptions {
  /** Port to listen on, e.g. to restart a broker on the port of a stopped one. @default a free port */
  port?: number;
  /**
   * Folder for mosquitto's persistence file. Given, the broker saves its sessions (subscriptions and
   * queued QoS 1 messages of `clean: false` clients) on a clean stop and restores them when started
   * again with the same folder, so a subscriber misses nothing across a broker restart.
   * @default no persistence
   */
  persistDir?: string;
}

const mosquittoBin = "/usr/sbin/mosquitto";
const readyTimeoutMs = 5_000;
const portAttempts = 5;

/**
 * Starts a real mosquitto broker on a free 127.0.0.1 port with anonymous access and no persistence,
 * and resolves once it accepts TCP connections. Tests must call `stop()` (or `kill()`) when done.
 * @throws Error when mosquitto exits early or does not accept connections within 5 s.
 */
export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<MosquittoBroker> {
  let lastError: unknown;
  const attempts = options.port === undefined ? portAttempts : 1;
  for (let i = 0; i < attempts; i++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(port, options.persistDir);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function launch(port: number, persistDir: string | undefined): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-test-"));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous true",
      ...(persistDir ? ["persistence true", `persistence_location ${persistDir}/`] : ["persistence false"]),
      "log_dest stderr",
      "",
    ].join("\n"),
  );
  const child = spawn(mosquittoBin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  try {
    await waitUntilAccepting(port, child, () => stderr);
  } catch (err) {
    child.kill("SIGKILL");
    await exited;
    process.off("exit", killOnExit);
    cleanup();
    throw err;
  }

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      process.off("exit", killOnExit);
      cleanup();
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      process.off("exit", killOnExit);
      cleanup();
    },
  };
}

async function waitUntilAccepting(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}): ${stderr()}`);
    }
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`mosquitto did not accept connections on 127.0.0.1:${port}: ${stderr()}`);
}

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

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
