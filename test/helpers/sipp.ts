import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";

/** Repository root: SIPp runs here because the scenarios name their media files relative to it. */
const repoRoot = join(import.meta.dirname, "../..");
const interopDir = join(repoRoot, "test/interop");

/** Options of {@link runSippCall}. */
export interface SippCallOptions {
  /**
   * Scenario file: a path, or a file name in `test/interop/` (`siprec-uac-pcmu.xml`,
   * `siprec-uac-pcma.xml`).
   */
  scenario: string;
  /** The SRS's SIP address, `host:port`. */
  target: string;
  /** SIP transport: `udp` is SIPp's `-t u1`, `tcp` is `-t t1` (one socket for the call). */
  transport: "udp" | "tcp";
  /** Local address for SIP and RTP (`-i`, `-mi`). @default "127.0.0.1" */
  localIp?: string;
  /** After this many ms SIPp gets SIGTERM (then SIGKILL 2 s later). @default 30000 */
  timeoutMs?: number;
}

/** Outcome of {@link runSippCall}. */
export interface SippCallResult {
  /**
   * SIPp's exit code: 0 when the call passed, 1 when it failed; 124 (as `timeout(1)`) when it was still
   * running after `timeoutMs`, since SIPp exits 0 on SIGTERM even with its call unanswered.
   */
  exitCode: number;
  /** SIPp's final statistics screen. */
  stdout: string;
  /** SIPp's stderr (it includes the unexpected messages that `-trace_err` also logs). */
  stderr: string;
  /** Absolute paths of the headerless G.711 files the scenario sends on m-line 1 and m-line 2. */
  sentFiles: { mline1: string; mline2: string };
}

/** Exit code reported when SIPp had to be stopped (the convention of coreutils `timeout`). */
const timedOutExitCode = 124;

/** Reads the media files a SIPREC scenario plays: `rtp_stream="F,…"` (m-line 1) and `--file F` (m-line 2). */
function sentFilesOf(scenarioText: string): { mline1: string; mline2: string } {
  const mline1 = /rtp_stream="([^,"]+)/.exec(scenarioText)?.[1];
  const mline2 = /--file (\S+)/.exec(scenarioText)?.[1];
  if (!mline1 || !mline2) throw new Error("scenario has no rtp_stream file or rtp-send --file");
  return { mline1: join(repoRoot, mline1), mline2: join(repoRoot, mline2) };
}

/**
 * Runs one SIPREC call with SIPp 3.6.1 (`sipp`, Debian package `sip-tester`) against an SRS and waits
 * for it to end: `sipp HOST:PORT -sf SCENARIO -inf test/interop/siprec-calls.csv -t u1|t1 -i IP -mi IP
 * -m 1 -nostdin -trace_err -error_file …`, run from the repository root with `node_modules/.bin` on
 * PATH (the scenario starts `bun test/interop/rtp-send.ts` for m-line 2).
 *
 * SIPp ignores its own `-timeout` while a call is open (test/interop/README.md), so after `timeoutMs`
 * it is sent SIGTERM. stdout/stderr go to files, not pipes, because the forked RTP helper inherits them.
 */
export async function runSippCall(options: SippCallOptions): Promise<SippCallResult> {
  const scenario = isAbsolute(options.scenario) ? options.scenario : join(interopDir, options.scenario);
  const sentFiles = sentFilesOf(await readFile(scenario, "utf8"));
  const localIp = options.localIp ?? "127.0.0.1";
  const dir = await mkdtemp(join(tmpdir(), "sipp-"));
  const paths = { out: join(dir, "stdout"), err: join(dir, "stderr"), trace: join(dir, "errors.log") };
  const timeoutMs = options.timeoutMs ?? 30_000;
  try {
    const proc = Bun.spawn(
      [
        "sipp",
        options.target,
        "-sf",
        scenario,
        "-inf",
        join(interopDir, "siprec-calls.csv"),
        "-t",
        options.transport === "udp" ? "u1" : "t1",
        "-i",
        localIp,
        "-mi",
        localIp,
        "-m",
        "1",
        "-nostdin",
        "-trace_err",
        "-error_file",
        paths.trace,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH ?? ""}` },
        stdin: "ignore",
        stdout: Bun.file(paths.out),
        stderr: Bun.file(paths.err),
      },
    );
    let timedOut = false;
    const term = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGTERM");
    }, timeoutMs);
    const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs + 2_000);
    const code = await proc.exited;
    clearTimeout(term);
    clearTimeout(kill);
    const read = (path: string) => readFile(path, "utf8").catch(() => "");
    return {
      exitCode: timedOut ? timedOutExitCode : code,
      stdout: await read(paths.out),
      stderr: await read(paths.err),
      sentFiles,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
