import { spawn } from "node:child_process";
import { DiagError } from "./errors.ts";
import { type DiagStep, skipStep } from "./step-runner.ts";

/** Options of {@link captureStep}. */
export interface CaptureStepOptions {
  /** How long to capture, seconds. */
  seconds: number;
  /** SIP listen ports (UDP and TCP/TLS). */
  sipPorts: readonly number[];
  /** The RTP port range `[low, high]` (config `media.port_range`). */
  mediaPorts: readonly [number, number];
}

/** The tcpdump (pcap-filter) expression for the SIP ports and the UDP media port range. */
export function captureFilter(sipPorts: readonly number[], mediaPorts: readonly [number, number]): string {
  const sip = [...new Set(sipPorts)].map((p) => `port ${p}`);
  return [...sip, `(udp and portrange ${mediaPorts[0]}-${mediaPorts[1]})`].join(" or ");
}

/**
 * The `capture` step: `tcpdump -i any` of the SIP ports and the media range for `seconds`, into
 * `capture/capture.pcap`; stopped with SIGINT (so it flushes), killed if it does not exit 3 s later.
 * Skipped when tcpdump is not installed.
 * @throws DiagError `DIAG_COMMAND_FAILED` when tcpdump cannot capture (no permission, no interface).
 */
export function captureStep(options: CaptureStepOptions): DiagStep {
  return {
    name: "capture",
    deadlineMs: (options.seconds + 10) * 1000,
    run: async (ctx) => {
      await ctx.write("capture/filter.txt", `${captureFilter(options.sipPorts, options.mediaPorts)}\n`);
      const file = await ctx.reserve("capture/capture.pcap");
      const child = spawn(
        "tcpdump",
        ["-i", "any", "-n", "-s", "0", "-U", "-w", file, captureFilter(options.sipPorts, options.mediaPorts)],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      const exited = new Promise<number | null>((resolve, reject) => {
        child.once("error", (err: NodeJS.ErrnoException) =>
          err.code === "ENOENT"
            ? reject(new DiagError("DIAG_SKIPPED", "tcpdump is not installed"))
            : reject(err),
        );
        child.once("close", (code) => resolve(code));
      });
      const stopAfter = (ms: number): Promise<"stopped"> =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve("stopped"), ms);
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(timer);
            resolve("stopped");
          });
        });
      let code: number | null | "stopped";
      try {
        code = await Promise.race([exited, stopAfter(options.seconds * 1000)]);
      } catch (err) {
        if ((err as DiagError).code === "DIAG_SKIPPED") skipStep((err as DiagError).message);
        throw err;
      }
      if (code === "stopped") {
        child.kill("SIGINT");
        const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
        code = await exited.finally(() => clearTimeout(killer));
      }
      await ctx.write("capture/tcpdump.txt", stderr);
      if (code !== 0 && code !== null) {
        throw new DiagError(
          "DIAG_COMMAND_FAILED",
          `tcpdump exited with ${code}: ${stderr.trim().split("\n").at(-1) ?? ""}`,
        );
      }
    },
  };
}
