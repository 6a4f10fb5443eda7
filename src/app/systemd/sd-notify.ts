import { dlopen, FFIType } from "bun:ffi";
import { errorMessage, type Logger, silentLogger } from "../../lib/index.ts";

/** How {@link SdNotify} reaches the service manager: libsystemd in-process, the CLI, or not at all. */
export type SdNotifyTransport = "ffi" | "cli" | "none";

/** Options of {@link SdNotify}. */
export interface SdNotifyOptions {
  /** Which transports to try: `auto` = libsystemd, else the CLI. @default "auto" */
  transport?: "auto" | "ffi" | "cli";
  /** Library passed to `dlopen`, by soname. @default "libsystemd.so.0" */
  library?: string;
  /** The `systemd-notify` executable. @default "systemd-notify" (searched in PATH) */
  cli?: string;
  /** Environment read for `NOTIFY_SOCKET` and handed to the CLI. @default process.env */
  env?: Record<string, string | undefined>;
  /** Our PID, sent as `--pid=` by the CLI fallback. @default process.pid */
  pid?: number;
  logger?: Logger;
}

type SdNotifyFn = (unsetEnvironment: number, state: Uint8Array) => number;

/**
 * Sends sd_notify(3) state lines (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`) to the
 * service manager's `NOTIFY_SOCKET` (an AF_UNIX datagram socket).
 *
 * First choice is `sd_notify(0, state)` in `libsystemd.so.0` through `bun:ffi`: the datagram comes
 * from our own PID, so the unit's `NotifyAccess=main` accepts it. If the library cannot be loaded it
 * falls back to `systemd-notify --pid=<ours> …`, a child process, which systemd accepts only with
 * `NotifyAccess=all`. Note: libsystemd reads `NOTIFY_SOCKET` with getenv(3), i.e. the environment
 * the process started with; Bun's `process.env` assignments do not reach it.
 *
 * Never throws; the first failure of each kind is logged once (warn), later ones are silent.
 */
export class SdNotify {
  readonly #env: Record<string, string | undefined>;
  readonly #cli: string;
  readonly #pid: number;
  readonly #logger: Logger;
  readonly #ffi: SdNotifyFn | undefined;
  readonly #transport: SdNotifyTransport;
  #warned = false;

  constructor(options: SdNotifyOptions = {}) {
    this.#env = options.env ?? process.env;
    this.#cli = options.cli ?? "systemd-notify";
    this.#pid = options.pid ?? process.pid;
    this.#logger = options.logger ?? silentLogger;
    const wanted = options.transport ?? "auto";
    this.#ffi = wanted === "cli" ? undefined : this.#load(options.library ?? "libsystemd.so.0");
    this.#transport = this.#ffi ? "ffi" : wanted === "ffi" ? "none" : "cli";
  }

  /** The transport {@link send} uses: `ffi` when libsystemd loaded, else `cli` (or `none`). */
  get transport(): SdNotifyTransport {
    return this.#transport;
  }

  /** Whether a service manager listens: `NOTIFY_SOCKET` is set (Type=notify units). */
  get enabled(): boolean {
    return Boolean(this.#env.NOTIFY_SOCKET);
  }

  /**
   * Sends `state` (newline-separated `KEY=VALUE` lines, sd_notify(3)) as one datagram.
   * @returns true when it was sent; false when `NOTIFY_SOCKET` is unset (nothing is done) or sending failed.
   */
  send(state: string): boolean {
    if (!this.enabled) return false;
    if (this.#ffi) return this.#sendFfi(this.#ffi, state);
    if (this.#transport === "cli") return this.#sendCli(state);
    return false;
  }

  #load(library: string): SdNotifyFn | undefined {
    try {
      const lib = dlopen(library, {
        sd_notify: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      });
      return lib.symbols.sd_notify as SdNotifyFn;
    } catch (err) {
      this.#logger.info("libsystemd not loadable, sd_notify falls back to systemd-notify", {
        library,
        error: errorMessage(err),
      });
      return undefined;
    }
  }

  #sendFfi(fn: SdNotifyFn, state: string): boolean {
    try {
      const rc = fn(0, Buffer.from(`${state}\0`));
      if (rc > 0) return true;
      this.#warnOnce("sd_notify failed", { result: rc });
    } catch (err) {
      this.#warnOnce("sd_notify failed", { error: errorMessage(err) });
    }
    return false;
  }

  #sendCli(state: string): boolean {
    try {
      const child = Bun.spawnSync([this.#cli, `--pid=${this.#pid}`, ...state.split("\n")], {
        env: this.#env,
        stdin: "ignore",
        stdout: "ignore",
        stderr: "pipe",
      });
      if (child.exitCode === 0) return true;
      this.#warnOnce("systemd-notify failed", {
        exitCode: child.exitCode,
        stderr: child.stderr.toString().trim(),
      });
    } catch (err) {
      this.#warnOnce("systemd-notify failed", { error: errorMessage(err) });
    }
    return false;
  }

  #warnOnce(msg: string, fields: Record<string, unknown>): void {
    if (this.#warned) return;
    this.#warned = true;
    this.#logger.warn(msg, { transport: this.#transport, ...fields });
  }
}

let shared: SdNotify | undefined;

/**
 * Sends `state` through a process-wide {@link SdNotify} (libsystemd, else the CLI).
 * @returns true when sent; false when `NOTIFY_SOCKET` is unset or sending failed. Never throws.
 */
export function sdNotify(state: string): boolean {
  shared ??= new SdNotify();
  return shared.send(state);
}
