import { dlopen, FFIType } from "bun:ffi";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One datagram received on the notify socket, with the sender's PID from SCM_CREDENTIALS. */
export interface NotifyDatagram {
  pid: number;
  state: string;
}

// Bun cannot bind AF_UNIX datagram sockets, so a python3 child owns the socket and prints one JSON
// line per datagram. SO_PASSCRED gives the sender's PID (what systemd's NotifyAccess= checks); fds
// passed by `systemd-notify`'s BARRIER=1 are closed so the CLI stops waiting.
const listenerScript = `
import json, os, socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print(json.dumps({"listening": True}), flush=True)
while True:
    data, anc, flags, addr = s.recvmsg(65536, socket.CMSG_SPACE(12) + socket.CMSG_SPACE(64))
    pid = 0
    for level, kind, payload in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", payload[:12])[0]
        elif level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            for i in range(0, len(payload) - len(payload) % 4, 4):
                os.close(struct.unpack("i", payload[i:i + 4])[0])
    print(json.dumps({"pid": pid, "state": data.decode()}), flush=True)
`;

/** A `NOTIFY_SOCKET` the test owns: an AF_UNIX datagram socket in a fresh temp dir. */
export class NotifyListener {
  readonly path: string;
  readonly received: NotifyDatagram[] = [];
  readonly #dir: string;
  readonly #child: ReturnType<typeof Bun.spawn>;
  readonly #listening: Promise<void>;

  constructor() {
    this.#dir = mkdtempSync(join(tmpdir(), "sd-notify-"));
    this.path = join(this.#dir, "notify.sock");
    this.#child = Bun.spawn(["python3", "-c", listenerScript, this.path], {
      stdout: "pipe",
      stderr: "inherit",
    });
    this.#listening = this.#read();
  }

  /** Resolves once the socket is bound. */
  listening(): Promise<void> {
    return this.#listening;
  }

  /** Waits until `count` datagrams matching `match` have arrived (fails after 5 s); returns them. */
  async waitFor(match: (d: NotifyDatagram) => boolean, count = 1): Promise<NotifyDatagram[]> {
    for (let waited = 0; waited < 5000; waited += 10) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      await Bun.sleep(10);
    }
    throw new Error(`expected ${count} matching datagrams, got ${JSON.stringify(this.received)}`);
  }

  close(): void {
    this.#child.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #read(): Promise<void> {
    const stdout = this.#child.stdout as ReadableStream<Uint8Array>;
    return new Promise((resolve) => {
      void (async () => {
        let buffered = "";
        const decoder = new TextDecoder();
        for await (const chunk of stdout) {
          buffered += decoder.decode(chunk, { stream: true });
          for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
            const line = JSON.parse(buffered.slice(0, nl)) as NotifyDatagram & { listening?: boolean };
            buffered = buffered.slice(nl + 1);
            if (line.listening) resolve();
            else this.received.push(line);
          }
        }
      })();
    });
  }
}

const libc = dlopen("libc.so.6", {
  setenv: { args: [FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  unsetenv: { args: [FFIType.ptr], returns: FFIType.i32 },
});

const cString = (text: string): Buffer => Buffer.from(`${text}\0`);

/**
 * Sets (or with undefined, unsets) an environment variable both in `process.env` and in the C
 * environment that libsystemd's getenv(3) reads; Bun's `process.env` does not write through.
 */
export function setProcessEnv(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
    libc.symbols.unsetenv(cString(name));
  } else {
    process.env[name] = value;
    libc.symbols.setenv(cString(name), cString(value), 1);
  }
}
