import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Outcome of one SIPp UAS run. */
export interface SippUasResult {
  /** SIPp's exit code: 0 when its one call passed; 124 when it had to be stopped. */
  exitCode: number;
  /** SIPp's error log (`-trace_err`): the unexpected messages, for failure messages. */
  errors: string;
}

/** A SIPp UAS waiting for our call. */
export interface SippUas {
  /** Its SIP port on 127.0.0.1. */
  readonly port: number;
  /** Resolves when SIPp exits (stopped with SIGTERM after `timeoutMs`). */
  readonly done: Promise<SippUasResult>;
}

const fixtures = join(import.meta.dirname, "fixtures");

/** A port that was free a moment ago (bound on 127.0.0.1 and released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === "object" && address ? address.port : 0;
}

/** Resolves once `port` accepts TCP connections (SIPp is listening). */
async function waitForTcp(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`SIPp did not listen on tcp port ${port}`);
}

/**
 * Starts SIPp 3.6.1 (Debian `sip-tester`) as the UAS of one call with a scenario from `fixtures/`:
 * `sipp -sf F -i 127.0.0.1 -p PORT -t u1|t1 -m 1 -nostdin -trace_err`. Over TCP it resolves once
 * SIPp listens; over UDP at once (our INVITE retransmissions cover its start-up).
 */
export async function startSippUas(
  scenario: string,
  transport: "udp" | "tcp",
  timeoutMs = 15_000,
): Promise<SippUas> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "sipp-uas-"));
  const errorFile = join(dir, "errors.log");
  const proc = Bun.spawn(
    [
      "sipp",
      "-sf",
      join(fixtures, scenario),
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      transport === "udp" ? "u1" : "t1",
      "-m",
      "1",
      "-nostdin",
      "-trace_err",
      "-error_file",
      errorFile,
    ],
    { cwd: dir, stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  let stopped = false;
  const term = setTimeout(() => {
    stopped = true;
    proc.kill("SIGTERM");
  }, timeoutMs);
  const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs + 2000);
  const done = proc.exited.then(async (code) => {
    clearTimeout(term);
    clearTimeout(kill);
    const errors = await readFile(errorFile, "utf8").catch(() => "");
    await rm(dir, { recursive: true, force: true });
    return { exitCode: stopped ? 124 : code, errors };
  });
  if (transport === "tcp") await waitForTcp(port, Date.now() + 5000);
  return { port, done };
}
