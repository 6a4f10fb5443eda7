import { createSocket } from "node:dgram";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { freePort, waitFor } from "./appliance.ts";
import { parseSipText, type SipText } from "./sip-text.ts";

const repoRoot = join(import.meta.dirname, "../..");
const interopDir = join(repoRoot, "test/interop");
/** Exit code reported when SIPp had to be stopped (the convention of coreutils `timeout`). */
const timedOutExitCode = 124;

/** One SIP message SIPp logged with `-trace_msg`. */
export interface TracedMessage {
  /** Whether SIPp received it or sent it. */
  direction: "received" | "sent";
  /** The message, parsed. */
  message: SipText;
}

/** Options of {@link startSippSrs}. */
export interface SippSrsOptions {
  /** Scenario: a path, or a file name in `test/interop/` (e.g. `srs-uas-answer.xml`). */
  scenario: string;
  /** `-key NAME VALUE` pairs: `[NAME]` in the scenario (e.g. `{ rtp1: 30000, rtp2: 30002 }`). */
  keys?: Record<string, string | number>;
  /** After this many ms SIPp gets SIGTERM (then SIGKILL 2 s later). @default 60000 */
  timeoutMs?: number;
}

/** Outcome of a {@link SippSrs} run. */
export interface SippSrsResult {
  /** 0 when the call passed, 1 when it failed, 124 when SIPp had to be stopped. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Every message SIPp received and sent, in order (`-trace_msg`). */
  messages: TracedMessage[];
  /** The requests SIPp received with method `method`. */
  received(method: string): SipText[];
  /** The responses SIPp received to requests of `method` (by CSeq). */
  responsesTo(method: string): SipText[];
}

/** SIPp running one UAS scenario (a remote SRS) on 127.0.0.1, UDP. */
export interface SippSrs {
  /** Its SIP port on 127.0.0.1. */
  readonly port: number;
  /** Resolves when SIPp ended its one call (`-m 1`) or was stopped. */
  readonly finished: Promise<SippSrsResult>;
  /** SIGTERM now (a no-op once finished) and the outcome. */
  stop(): Promise<SippSrsResult>;
}

/**
 * Starts SIPp 3.6.1 as a UAS for ONE call on a free UDP port of 127.0.0.1: `sipp -sf SCENARIO -t u1
 * -i 127.0.0.1 -p PORT -m 1 -nostdin -trace_msg -trace_err [-key NAME VALUE]…`, and resolves once
 * the port is bound. SIPp ignores `-timeout` while a call is open, so after `timeoutMs` it gets
 * SIGTERM and the outcome says 124.
 */
export async function startSippSrs(options: SippSrsOptions): Promise<SippSrs> {
  const scenario = isAbsolute(options.scenario) ? options.scenario : join(interopDir, options.scenario);
  const dir = await mkdtemp(join(tmpdir(), "sipp-srs-"));
  const paths = {
    out: join(dir, "stdout"),
    err: join(dir, "stderr"),
    messages: join(dir, "messages.log"),
    errors: join(dir, "errors.log"),
  };
  const port = await freePort();
  const keys = Object.entries(options.keys ?? {}).flatMap(([name, value]) => ["-key", name, String(value)]);
  const proc = Bun.spawn(
    [
      "sipp",
      ...["-sf", scenario, "-t", "u1", "-i", "127.0.0.1", "-p", String(port)],
      ...["-m", "1", "-nostdin", "-trace_msg", "-message_file", paths.messages],
      ...["-trace_err", "-error_file", paths.errors, ...keys],
    ],
    { cwd: repoRoot, stdin: "ignore", stdout: Bun.file(paths.out), stderr: Bun.file(paths.err) },
  );
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timedOut = false;
  const term = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGTERM");
  }, timeoutMs);
  const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs + 2_000);
  const finished = (async (): Promise<SippSrsResult> => {
    const code = await proc.exited;
    clearTimeout(term);
    clearTimeout(kill);
    const read = (path: string) => readFile(path, "utf8").catch(() => "");
    const messages = parseMessageTrace(await read(paths.messages));
    const result = {
      exitCode: timedOut ? timedOutExitCode : code,
      stdout: await read(paths.out),
      stderr: `${await read(paths.err)}${await read(paths.errors)}`,
      messages,
      received: (method: string) =>
        messages
          .filter((m) => m.direction === "received" && m.message.method === method)
          .map((m) => m.message),
      responsesTo: (method: string) =>
        messages
          .filter(
            (m) =>
              m.direction === "received" &&
              m.message.status !== undefined &&
              (m.message.header("cseq") ?? "").endsWith(` ${method}`),
          )
          .map((m) => m.message),
    };
    await rm(dir, { recursive: true, force: true });
    return result;
  })();
  await Promise.race([
    waitFor(
      `SIPp to bind 127.0.0.1:${port}`,
      async () => ((await udpPortBusy(port)) ? true : undefined),
      5_000,
    ),
    finished.then((r) => {
      throw new Error(`SIPp exited at once (${r.exitCode}): ${r.stderr}`);
    }),
  ]);
  return {
    port,
    finished,
    stop: () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        timedOut = true;
        proc.kill("SIGTERM");
      }
      return finished;
    },
  };
}

/**
 * Reads SIPp's `-trace_msg` file: entries start with a dashed line and a timestamp, then
 * `UDP message received [N] bytes :` or `UDP message sent (N bytes):`, a blank line and the message.
 */
export function parseMessageTrace(text: string): TracedMessage[] {
  const out: TracedMessage[] = [];
  for (const entry of text.split(/^-{40,}[^\n]*\n/m)) {
    const head = /^\w+ message (received|sent)[^\n]*\n\r?\n/.exec(entry);
    if (!head) continue;
    const raw = entry.slice(head[0].length).replace(/\s+$/, "");
    if (raw === "") continue;
    const message = parseSipText(raw);
    const length = Number(message.header("content-length") ?? message.body.length);
    if (message.body.length > length) message.body = message.body.slice(0, length);
    out.push({ direction: head[1] === "received" ? "received" : "sent", message });
  }
  return out;
}

/** Whether something is bound to UDP `port` on 127.0.0.1. */
function udpPortBusy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => resolve(true));
    socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(false)));
  });
}
