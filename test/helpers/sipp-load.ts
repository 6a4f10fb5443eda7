import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Repository root: SIPp runs here because the scenarios name their media files relative to it. */
const repoRoot = join(import.meta.dirname, "../..");
const interopDir = join(repoRoot, "test/interop");
/** The long-call template; its media lines, loop counts and pause are rewritten per run. */
const longScenario = join(interopDir, "siprec-uac-pcmu-long.xml");
/** The fixture files the template plays on m-line 1 (agent) and m-line 2 (customer), as it names them. */
const fixtures = { mline1: "test/fixtures/audio/agent.ulaw", mline2: "test/fixtures/audio/customer.ulaw" };
/** G.711 at 8 kHz: bytes per second (one byte per sample). */
const bytesPerSecond = 8000;
/** Exit code reported when SIPp had to be stopped (the convention of coreutils `timeout`). */
const timedOutExitCode = 124;

/** Options of {@link runSippLoad}. */
export interface SippLoadOptions {
  /** Calls, all started within about a second and open at the same time (`-m N -l N -r N`). */
  calls: number;
  /** Length of each call's audio, s (a whole number); BYE follows after `byeMarginMs`. */
  durationS: number;
  /** The SRS's SIP address, `host:port`. */
  target: string;
  /** SIP transport: `udp` is SIPp's `-t u1`, `tcp` is `-t t1` (one connection for every call). */
  transport: "udp" | "tcp";
  /** Local address for SIP and RTP (`-i`, `-mi`). @default "127.0.0.1" */
  localIp?: string;
  /**
   * After this many ms SIPp gets SIGTERM (then SIGKILL 2 s later) and the run reports exit code 124.
   * @default durationS × 1000 + byeMarginMs + 30000
   */
  timeoutMs?: number;
  /**
   * Wait between the start of the media and the BYE beyond `durationS`, ms: it covers the start-up of
   * the m-line 2 sender (a Bun process per call) when many calls start at once.
   * @default 3000
   */
  byeMarginMs?: number;
}

/** The injection values of one call (`test/interop/README.md`: UCID, session_id, AORs). */
export interface SippLoadCall {
  /** SIPp's `[call_number]`, from 1; SIPp's Call-ID is `<callNumber>-<pid>@<localIp>`. */
  callNumber: number;
  /** `User-to-User` UCID, hex. */
  ucid: string;
  /** RFC 7865 recording `session_id`, base64. */
  siprecSessionId: string;
  agentAor: string;
  customerAor: string;
  /** SSRC of m-line 1 (SIPp `rtp_stream`: 0xCA110000 + call index from 0). */
  ssrcMline1: number;
  /** SSRC of m-line 2 (`rtp-send.ts`: 0xCA120000 + call number). */
  ssrcMline2: number;
}

/** Outcome of {@link runSippLoad}. */
export interface SippLoadResult {
  /** SIPp's exit code: 0 when every call passed, 1 when one failed, 124 when it had to be stopped. */
  exitCode: number;
  /** SIPp's statistics screens, and the one line each m-line 2 sender prints when it is done. */
  stdout: string;
  /** SIPp's stderr (it includes the unexpected messages that `-trace_err` also logs). */
  stderr: string;
  /** Calls SIPp counted as successful (its `SuccessfulCall(C)` statistic). */
  callsSucceeded: number;
  /** Calls SIPp counted as failed (its `FailedCall(C)` statistic). */
  callsFailed: number;
  /**
   * The G.711 bytes EACH call sent on m-line 1 and m-line 2: the fixture files looped to `durationS`
   * (durationS × 8000 bytes, 50 packets of 160 bytes per second).
   */
  sentPayload: { mline1: Uint8Array; mline2: Uint8Array };
  /** The injection values per call, in call-number order. */
  calls: SippLoadCall[];
  /** Wall time of the SIPp run, ms. */
  wallMs: number;
}

/** How a run plays its media: the files the scenario names and how often each is looped. */
export interface SippLoadMedia {
  /** Paths of the m-line 1 and m-line 2 files as the scenario names them (relative to the repo root, or absolute). */
  files: { mline1: string; mline2: string };
  /** Loops of each file (SIPp `rtp_stream="file,LOOPS,pt"` and `rtp-send.ts --loops`). */
  loops: number;
  /** What each call sends per m-line. */
  sentPayload: { mline1: Uint8Array; mline2: Uint8Array };
}

/**
 * Decides how to play `durationS` of audio from the fixture files: when it is a whole number of
 * fixture lengths the fixtures are looped as they are; otherwise files of exactly `durationS` (the
 * fixtures looped and cut) are written into `workDir` and played once.
 * @throws Error when `durationS` is not a positive whole number.
 */
export async function planSippLoadMedia(durationS: number, workDir: string): Promise<SippLoadMedia> {
  if (!Number.isInteger(durationS) || durationS < 1)
    throw new Error(`durationS ${durationS} is not a whole number ≥ 1`);
  const source = {
    mline1: new Uint8Array(await readFile(join(repoRoot, fixtures.mline1))),
    mline2: new Uint8Array(await readFile(join(repoRoot, fixtures.mline2))),
  };
  const total = durationS * bytesPerSecond;
  const sentPayload = { mline1: loopTo(source.mline1, total), mline2: loopTo(source.mline2, total) };
  const whole = total % source.mline1.length === 0 && total % source.mline2.length === 0;
  const loopsOf = total / source.mline1.length;
  if (whole && loopsOf === total / source.mline2.length) {
    return { files: fixtures, loops: loopsOf, sentPayload };
  }
  const files = { mline1: join(workDir, "mline1.ulaw"), mline2: join(workDir, "mline2.ulaw") };
  await writeFile(files.mline1, sentPayload.mline1);
  await writeFile(files.mline2, sentPayload.mline2);
  return { files, loops: 1, sentPayload };
}

/**
 * Rewrites the long-call template for a run: its media files, loop counts and pause before BYE.
 * @throws Error when the template no longer has the lines this rewrites.
 */
export function longCallScenario(template: string, media: SippLoadMedia, pauseMs: number): string {
  const rewrites: [RegExp, string][] = [
    [/rtp_stream="[^,"]+,\d+,0"/, `rtp_stream="${media.files.mline1},${media.loops},0"`],
    [/--file \S+/, `--file ${media.files.mline2}`],
    [/--loops \d+/, `--loops ${media.loops}`],
    [/<pause milliseconds="\d+"\/>/, `<pause milliseconds="${pauseMs}"/>`],
  ];
  let text = template;
  for (const [pattern, replacement] of rewrites) {
    if (!pattern.test(text)) throw new Error(`long-call scenario has no ${pattern}`);
    text = text.replace(pattern, replacement);
  }
  return text;
}

/** Writes a SEQUENTIAL injection file with one distinct line per call and returns the values. */
function injection(calls: number): { csv: string; values: SippLoadCall[] } {
  const run = randomBytes(4).toString("hex").toUpperCase();
  const values: SippLoadCall[] = [];
  for (let n = 1; n <= calls; n++) {
    values.push({
      callNumber: n,
      ucid: `00FA08${run}${n.toString(16).toUpperCase().padStart(8, "0")}`,
      siprecSessionId: randomBytes(16).toString("base64"),
      agentAor: `sip:agent.${n}@contact-centre.example`,
      customerAor: `sip:+4416329${String(n).padStart(5, "0")}@pstn.example`,
      ssrcMline1: (0xca110000 + n - 1) >>> 0,
      ssrcMline2: (0xca120000 + n) >>> 0,
    });
  }
  const lines = values.map((v) => `${v.ucid};${v.siprecSessionId};${v.agentAor};${v.customerAor}`);
  return { csv: ["SEQUENTIAL", ...lines, ""].join("\n"), values };
}

/** Reads the last row of SIPp's `-trace_stat` CSV (`;`-separated, header first) as name → value. */
function lastStatistics(csv: string): Map<string, string> {
  const rows = csv.split("\n").filter((line) => line.trim() !== "");
  const names = (rows[0] ?? "").split(";");
  const values = (rows[rows.length - 1] ?? "").split(";");
  return new Map(names.map((name, i) => [name, values[i] ?? ""]));
}

/**
 * Runs `calls` long SIPREC calls at once with SIPp 3.6.1 against an SRS and waits for them to end.
 * Each call is `test/interop/siprec-uac-pcmu-long.xml` rewritten for `durationS` (see
 * {@link longCallScenario}): PCMU on both m-lines, m-line 1 by SIPp's `rtp_stream`, m-line 2 by one
 * `bun test/interop/rtp-send.ts` per call, both `durationS` long, then BYE. Every call gets its own
 * injection line (distinct UCID and RFC 7865 session_id). Run from the repository root with
 * `node_modules/.bin` on PATH; stdout/stderr go to files, because the forked senders inherit them.
 *
 * SIPp ignores its own `-timeout` while calls are open (test/interop/README.md), so after `timeoutMs`
 * it is sent SIGTERM and the run reports exit code 124.
 * @throws Error when `durationS` is not a whole number ≥ 1 or `calls` < 1.
 */
export async function runSippLoad(options: SippLoadOptions): Promise<SippLoadResult> {
  if (!Number.isInteger(options.calls) || options.calls < 1) throw new Error(`calls ${options.calls} < 1`);
  const dir = await mkdtemp(join(tmpdir(), "sipp-load-"));
  try {
    const media = await planSippLoadMedia(options.durationS, dir);
    const byeMarginMs = options.byeMarginMs ?? 3000;
    const scenario = join(dir, "siprec-uac-pcmu-long.xml");
    const template = await readFile(longScenario, "utf8");
    await writeFile(scenario, longCallScenario(template, media, options.durationS * 1000 + byeMarginMs));
    const { csv, values } = injection(options.calls);
    await writeFile(join(dir, "calls.csv"), csv);
    const localIp = options.localIp ?? "127.0.0.1";
    const paths = {
      out: join(dir, "stdout"),
      err: join(dir, "stderr"),
      trace: join(dir, "errors.log"),
      stat: join(dir, "stat.csv"),
    };
    const n = String(options.calls);
    const started = performance.now();
    const proc = Bun.spawn(
      [
        "sipp",
        options.target,
        ...["-sf", scenario, "-inf", join(dir, "calls.csv")],
        ...["-t", options.transport === "udp" ? "u1" : "t1", "-i", localIp, "-mi", localIp],
        ...["-m", n, "-l", n, "-r", n, "-rp", "1000"],
        ...[
          "-nostdin",
          "-trace_err",
          "-error_file",
          paths.trace,
          "-trace_stat",
          "-stf",
          paths.stat,
          "-fd",
          "1",
        ],
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, PATH: `${join(repoRoot, "node_modules/.bin")}:${process.env.PATH ?? ""}` },
        stdin: "ignore",
        stdout: Bun.file(paths.out),
        stderr: Bun.file(paths.err),
      },
    );
    const timeoutMs = options.timeoutMs ?? options.durationS * 1000 + byeMarginMs + 30_000;
    let timedOut = false;
    const term = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGTERM");
    }, timeoutMs);
    const kill = setTimeout(() => proc.kill("SIGKILL"), timeoutMs + 2_000);
    const code = await proc.exited;
    const wallMs = performance.now() - started;
    clearTimeout(term);
    clearTimeout(kill);
    const read = (path: string) => readFile(path, "utf8").catch(() => "");
    const stats = lastStatistics(await read(paths.stat));
    return {
      exitCode: timedOut ? timedOutExitCode : code,
      stdout: await read(paths.out),
      stderr: await read(paths.err),
      callsSucceeded: Number(stats.get("SuccessfulCall(C)") ?? 0),
      callsFailed: Number(stats.get("FailedCall(C)") ?? 0),
      sentPayload: media.sentPayload,
      calls: values,
      wallMs,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bytes of `source` repeated and cut to exactly `length` bytes. */
function loopTo(source: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += source.length)
    out.set(source.subarray(0, Math.min(source.length, length - at)), at);
  return out;
}
