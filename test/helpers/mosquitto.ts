import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A mosquitto broker owned by a test, listening on 127.0.0.1 only. */
export interface MosquittoBroker {
  /** `mqtt://127.0.0.1:<port>`. */
  readonly url: string;
  /** TCP port the broker listens on. */
  readonly port: number;
  /** `mqtts://127.0.0.1:<tlsPort>` when started with `tls`, else undefined. */
  readonly tlsUrl: string | undefined;
  /** Port of the TLS listener when started with `tls`, else undefined. */
  readonly tlsPort: number | undefined;
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
  /**
   * Adds a TLS listener on another free 127.0.0.1 port (see {@link MosquittoBroker.tlsUrl}); the
   * plain listener stays. PEM file paths; they are copied into the broker's temp folder.
   */
  tls?: MosquittoTlsOptions;
  /**
   * User names and their passwords (made into a password file with `mosquitto_passwd -b`).
   * Given (or `passwordFile`), the guarded listener refuses anonymous clients and wrong passwords:
   * the TLS listener when `tls` is given (the plain one then stays anonymous, for the test's own
   * clients), else the plain listener.
   */
  users?: Record<string, string>;
  /** An existing mosquitto password file, instead of (or added to) `users`; copied, not modified. */
  passwordFile?: string;
}

/** The TLS listener of {@link startMosquitto}: mosquitto's `cafile`, `certfile`, `keyfile`, `require_certificate`. */
export interface MosquittoTlsOptions {
  /** CA certificate(s) (PEM) that client certificates must chain to. */
  ca: string;
  /** The broker's certificate (PEM); for `127.0.0.1` it needs subjectAltName `IP:127.0.0.1`. */
  cert: string;
  /** The broker's private key (PEM, unencrypted). */
  key: string;
  /**
   * Refuse the TLS handshake of clients without a certificate signed by `ca`. Unless users are given
   * too, a client with such a certificate needs no user name.
   * @default false
   */
  requireCertificate?: boolean;
}

const mosquittoBin = "/usr/sbin/mosquitto";
const mosquittoPasswdBin = "/usr/bin/mosquitto_passwd";
const readyTimeoutMs = 5_000;
const portAttempts = 5;

/**
 * Starts a real mosquitto broker on a free 127.0.0.1 port with anonymous access and no persistence
 * (plus, on request, a TLS listener and password authentication), and resolves once every listener
 * accepts TCP connections. Tests must call `stop()` (or `kill()`) when done.
 * @throws Error when mosquitto exits early or does not accept connections within 5 s, or when
 *   `mosquitto_passwd` fails.
 */
export async function startMosquitto(options: StartMosquittoOptions = {}): Promise<MosquittoBroker> {
  let lastError: unknown;
  const attempts = options.port === undefined ? portAttempts : 1;
  for (let i = 0; i < attempts; i++) {
    const port = options.port ?? (await freePort());
    const tlsPort = options.tls ? await freePort(port) : undefined;
    try {
      return await launch(port, tlsPort, options);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function launch(
  port: number,
  tlsPort: number | undefined,
  options: StartMosquittoOptions,
): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), "mosquitto-test-"));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const conf = join(dir, "mosquitto.conf");
  try {
    writeFileSync(conf, brokerConfig(dir, port, tlsPort, options));
  } catch (err) {
    cleanup();
    throw err;
  }
  const child = spawn(mosquittoBin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    if (stderr.length < 8_000) stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const killOnExit = (): void => {
    child.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  try {
    await waitUntilAccepting(port, child, () => stderr);
    if (tlsPort !== undefined) await waitUntilAccepting(tlsPort, child, () => stderr);
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
    tlsUrl: tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${tlsPort}`,
    tlsPort,
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

/**
 * Writes mosquitto.conf's lines, copying the TLS material and the password file into `dir`. Run as
 * root, mosquitto drops to its own user before it reads them, so `dir` and the copies are made
 * readable to it. With `per_listener_settings`, each listener has its own authentication.
 */
function brokerConfig(
  dir: string,
  port: number,
  tlsPort: number | undefined,
  options: StartMosquittoOptions,
): string {
  chmodSync(dir, 0o711);
  const copy = (from: string, name: string): string => {
    const to = join(dir, name);
    copyFileSync(from, to);
    chmodSync(to, 0o644);
    return to;
  };
  const passwordFile = makePasswordFile(dir, options, copy);
  const guard = (guarded: boolean): string[] =>
    guarded && passwordFile
      ? ["allow_anonymous false", `password_file ${passwordFile}`]
      : ["allow_anonymous true"];
  const { tls } = options;
  return [
    "per_listener_settings true",
    `listener ${port} 127.0.0.1`,
    ...guard(tls === undefined),
    ...(tls && tlsPort !== undefined
      ? [
          `listener ${tlsPort} 127.0.0.1`,
          `cafile ${copy(tls.ca, "tls-ca.pem")}`,
          `certfile ${copy(tls.cert, "tls-server.pem")}`,
          `keyfile ${copy(tls.key, "tls-server.key")}`,
          `require_certificate ${tls.requireCertificate ? "true" : "false"}`,
          ...guard(true),
        ]
      : []),
    ...(options.persistDir
      ? ["persistence true", `persistence_location ${options.persistDir}/`]
      : ["persistence false"]),
    "log_dest stderr",
    "",
  ].join("\n");
}

function makePasswordFile(
  dir: string,
  options: StartMosquittoOptions,
  copy: (from: string, name: string) => string,
): string | undefined {
  const users = Object.entries(options.users ?? {});
  if (options.passwordFile === undefined && users.length === 0) return undefined;
  const file = options.passwordFile ? copy(options.passwordFile, "passwd") : join(dir, "passwd");
  users.forEach(([user, password], i) => {
    const create = i === 0 && options.passwordFile === undefined ? ["-c"] : [];
    try {
      execFileSync(mosquittoPasswdBin, [...create, "-b", file, user, password], { stdio: "pipe" });
    } catch (err) {
      throw new Error(`mosquitto_passwd failed for user ${user}: ${(err as { stderr?: Buffer }).stderr}`);
    }
  });
  chmodSync(file, 0o644);
  return file;
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

async function freePort(other?: number): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (port !== other) return port;
  }
}

function anyFreePort(): Promise<number> {
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
