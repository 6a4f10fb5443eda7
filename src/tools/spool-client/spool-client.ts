import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { errorMessage } from "../../lib/index.ts";
import { renderCallTable } from "./call-table.ts";
import { type DaemonAuth, daemonUrl, getFromDaemon, readJson } from "./daemon-client.ts";
import { SpoolClientError } from "./errors.ts";
import { parseCallDetail, parseCallList } from "./wire.ts";

/** Where `exportCall` writes; at least one of the two. */
export interface ExportTargets {
  /** Folder for one WAV file per stream (`<callId>-<streamId>-<label>.wav`); created if missing. */
  wavDir?: string;
  /** File for the call's RTP capture (libpcap); its folder is created if missing. */
  pcapFile?: string;
}

/** What `exportCall` wrote. */
export interface ExportResult {
  /** WAV files written, in m-line order. */
  wavFiles: string[];
  /** The pcap written, if asked for. */
  pcapFile?: string;
  /** Bytes written over all files. */
  bytes: number;
}

/** Calls `spool ls` lists at most. */
const listLimit = 1000;

/**
 * `siprec-edge spool ls`: the calls in the running daemon's spool (newest first, at most 1000) as
 * a text table: call id, state, start, duration, streams, frames, size and per-sink backlog. Asks
 * the daemon's HTTP API (`GET /api/calls`); never opens the SQLite file (DESIGN.md §4: another
 * SQLite on the live WAL database can corrupt it).
 * @param baseUrl the daemon's web address (`web.listen`), e.g. `http://127.0.0.1:8080`.
 * @throws SpoolClientError `SPOOL_CLIENT_NOT_RUNNING` ("siprec-edge is not running at …: start it or
 *   pass --web URL"), `SPOOL_CLIENT_UNAUTHORIZED`, `SPOOL_CLIENT_NO_API`, `SPOOL_CLIENT_BAD_URL`,
 *   `SPOOL_CLIENT_HTTP`, `SPOOL_CLIENT_BAD_RESPONSE`, `SPOOL_CLIENT_TIMEOUT`.
 */
export async function listCalls(baseUrl: string, auth?: DaemonAuth): Promise<string> {
  const base = daemonUrl(baseUrl);
  const res = await getFromDaemon(base, `/api/calls?limit=${listLimit}`, auth, {
    code: "SPOOL_CLIENT_NO_API",
    message: `${base} has no calls API: is it siprec-edge's web address (web.listen)?`,
  });
  return renderCallTable(parseCallList(await readJson(res, base)));
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
}

async function save(path: string, res: Response): Promise<number> {
  try {
    const bytes = new Uint8Array(await res.arrayBuffer());
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    return bytes.byteLength;
  } catch (err) {
    throw new SpoolClientError("SPOOL_CLIENT_WRITE", `cannot write ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/**
 * `siprec-edge spool export CALL --wav DIR | --pcap FILE`: downloads one call from the running
 * daemon's HTTP API and writes one WAV per stream (codec bytes as recorded, gaps as silence) and/or
 * the call's RTP as a pcap (`tshark -d udp.port==40000,rtp`; stream n is on port 40000 + 2n).
 * Never opens the SQLite file (DESIGN.md §4).
 * @param baseUrl the daemon's web address (`web.listen`), e.g. `http://127.0.0.1:8080`.
 * @throws SpoolClientError `SPOOL_CLIENT_USAGE` (no target), `SPOOL_CLIENT_UNKNOWN_CALL`,
 *   `SPOOL_CLIENT_WRITE`, and the errors of {@link listCalls}.
 */
export async function exportCall(
  baseUrl: string,
  callId: string,
  targets: ExportTargets,
  auth?: DaemonAuth,
): Promise<ExportResult> {
  if (!targets.wavDir && !targets.pcapFile) {
    throw new SpoolClientError("SPOOL_CLIENT_USAGE", "spool export needs --wav DIR and/or --pcap FILE");
  }
  const base = daemonUrl(baseUrl);
  const callPath = `/api/calls/${encodeURIComponent(callId)}`;
  const unknown = {
    code: "SPOOL_CLIENT_UNKNOWN_CALL",
    message: `no call ${callId} in the spool of ${base}`,
  } as const;
  const call = parseCallDetail(await readJson(await getFromDaemon(base, callPath, auth, unknown), base));
  const result: ExportResult = { wavFiles: [], bytes: 0 };
  if (targets.wavDir) {
    for (const stream of call.streams) {
      const res = await getFromDaemon(base, `${callPath}/streams/${stream.streamId}.wav`, auth, unknown);
      const path = join(
        targets.wavDir,
        `${safeName(call.callId)}-${stream.streamId}-${safeName(stream.label)}.wav`,
      );
      result.bytes += await save(path, res);
      result.wavFiles.push(path);
    }
  }
  if (targets.pcapFile) {
    result.bytes += await save(
      targets.pcapFile,
      await getFromDaemon(base, `${callPath}.pcap`, auth, unknown),
    );
    result.pcapFile = targets.pcapFile;
  }
  return result;
}
