import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { exportCall, listCalls, SpoolClientError } from "../../../../src/tools/spool-client/index.ts";
import { type StatusServer, startStatusServer } from "../../../../src/web/index.ts";
import { readWav } from "../../../helpers/wav-reader.ts";
import { sampleSnapshot } from "../../web/sample-snapshot.ts";
import { liveCallId, recordedCallId, spooledCalls } from "../../web/spooled-calls.ts";

const token = "web-token";
const dir = mkdtempSync(join(tmpdir(), "spool-client-"));
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A running daemon's web server with the spooled fixture calls behind token auth. */
async function daemon(withCalls = true): Promise<{ url: string; customerAudio: Uint8Array }> {
  const fixture = spooledCalls();
  cleanups.push(() => fixture.spool.close());
  const server: StatusServer = await startStatusServer({
    listen: "127.0.0.1:0",
    snapshot: () => sampleSnapshot(),
    auth: { token },
    ...(withCalls ? { calls: fixture.exporter } : {}),
  });
  cleanups.push(() => server.close());
  return { url: server.url, customerAudio: fixture.customerAudio };
}

/** A 127.0.0.1 port nothing listens on (bound once, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

async function failure(promise: Promise<unknown>): Promise<SpoolClientError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SpoolClientError) return err;
    throw err;
  }
  throw new Error("expected a SpoolClientError");
}

describe("siprec-edge spool ls", () => {
  it("prints the daemon's calls as a table with state, duration, sizes and per-sink backlog", async () => {
    const { url } = await daemon();
    const table = await listCalls(url, { token });
    const lines = table.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      /^CALL ID\s+STATE\s+STARTED \(UTC\)\s+DURATION\s+STREAMS\s+FRAMES\s+SIZE\s+SINK BACKLOG$/,
    );
    expect(lines[1]?.split(/\s{2,}/)).toEqual([
      liveCallId,
      "live",
      "2025-03-04 10:00:10",
      expect.any(String),
      "0",
      "0",
      "0 B",
      "-",
    ]);
    expect(lines[2]?.split(/\s{2,}/)).toEqual([
      recordedCallId,
      "completed",
      "2025-03-04 10:00:00",
      "1:00",
      "2",
      "9",
      "1.3 KiB",
      "ai 2.5s backoff",
    ]);
  });

  it("accepts Basic credentials as well as the token", async () => {
    const { url } = await daemon();
    const table = await listCalls(url, { username: "tech", password: token });
    expect(table).toContain(recordedCallId);
  });

  it("says the daemon is not running, and how to point at it, when nothing answers", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await failure(listCalls(url));
    expect(err.code).toBe("SPOOL_CLIENT_NOT_RUNNING");
    expect(err.message).toContain(`siprec-edge is not running at ${url}: start it or pass --web URL`);
  });

  it("reports refused credentials, an address without the calls API, and a URL that is not http", async () => {
    const { url } = await daemon();
    expect((await failure(listCalls(url))).code).toBe("SPOOL_CLIENT_UNAUTHORIZED");
    expect((await failure(listCalls(url, { token: "wrong" }))).code).toBe("SPOOL_CLIENT_UNAUTHORIZED");
    const bare = await daemon(false);
    expect((await failure(listCalls(bare.url, { token }))).code).toBe("SPOOL_CLIENT_NO_API");
    expect((await failure(listCalls("ftp://127.0.0.1:21"))).code).toBe("SPOOL_CLIENT_BAD_URL");
  });
});

describe("siprec-edge spool export", () => {
  it("writes one WAV per stream with the spooled audio, and the call's RTP as a pcap tshark reads", async () => {
    const { url, customerAudio } = await daemon();
    const wavDir = join(dir, "wav");
    const pcapFile = join(dir, "pcap", "call.pcap");
    const result = await exportCall(url, recordedCallId, { wavDir, pcapFile }, { token });
    expect(result.wavFiles.map((f) => f.slice(wavDir.length + 1))).toEqual([
      expect.stringMatching(new RegExp(`^${recordedCallId}-\\d+-1\\.wav$`)),
      expect.stringMatching(new RegExp(`^${recordedCallId}-\\d+-2\\.wav$`)),
    ]);
    expect(readdirSync(wavDir)).toHaveLength(2);
    expect(readWav(result.wavFiles[0] ?? "").data).toEqual(customerAudio);
    expect(readWav(result.wavFiles[1] ?? "")).toMatchObject({ formatTag: 6, rate: 8000 });
    expect(result.pcapFile).toBe(pcapFile);
    const seqs = execFileSync(
      "tshark",
      [
        "-r",
        pcapFile,
        "-d",
        "udp.port==40000,rtp",
        "-d",
        "udp.port==40002,rtp",
        "-T",
        "fields",
        "-e",
        "rtp.seq",
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    )
      .toString()
      .trim()
      .split("\n");
    expect(seqs).toEqual(["1000", "50", "1001", "51", "1002", "52", "1005", "1006"]);
    expect(result.bytes).toBeGreaterThan(customerAudio.byteLength);
  });

  it("writes only the pcap when no WAV folder is given", async () => {
    const { url } = await daemon();
    const pcapFile = join(dir, "only.pcap");
    const result = await exportCall(url, recordedCallId, { pcapFile }, { token });
    expect(result).toMatchObject({ wavFiles: [], pcapFile });
  });

  it("names an unknown call, and refuses to run with nothing to write", async () => {
    const { url } = await daemon();
    const unknown = await failure(
      exportCall(url, "0195a1b2-dead", { pcapFile: join(dir, "x.pcap") }, { token }),
    );
    expect(unknown.code).toBe("SPOOL_CLIENT_UNKNOWN_CALL");
    expect(unknown.message).toContain("0195a1b2-dead");
    expect((await failure(exportCall(url, recordedCallId, {}, { token }))).code).toBe("SPOOL_CLIENT_USAGE");
  });

  it("says the daemon is not running when nothing answers", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const err = await failure(exportCall(url, recordedCallId, { wavDir: dir }));
    expect(err.code).toBe("SPOOL_CLIENT_NOT_RUNNING");
  });
});
