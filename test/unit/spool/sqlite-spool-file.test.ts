import { Database } from "bun:sqlite";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/lib/index.ts";
import { openSqliteSpool, type SpoolError, type SqliteSpool } from "../../../src/spool/index.ts";
import {
  appendFrames,
  audioFrame,
  callWithStream,
  streamFixture,
  thrownCode,
} from "../../contract/spool-fixtures.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

describe("SqliteSpool on a real file", () => {
  let dir: string;
  let path: string;
  let clock: ManualClock;
  const opened: SqliteSpool[] = [];
  const open = (extra: { busyTimeoutMs?: number; lines?: string[] } = {}): SqliteSpool => {
    const logger = createLogger({ level: "debug", write: (line) => extra.lines?.push(line) });
    const spool = openSqliteSpool({ path, clock, logger, busyTimeoutMs: extra.busyTimeoutMs ?? 5000 });
    opened.push(spool);
    return spool;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sqlite-spool-"));
    path = join(dir, "var", "lib", "spool.db");
    clock = new ManualClock();
  });

  afterEach(() => {
    for (const spool of opened.splice(0)) spool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("creates the missing parent folders, uses WAL and records the schema version", () => {
    open().close();
    const db = new Database(path, { readonly: true });
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version).toBe(4);
    db.close();
  });

  it("fails with SPOOL_OPEN naming the path when the file is not a database", () => {
    open().close();
    writeFileSync(
      path,
      "this is not SQLite, just text that is long enough to fill a header page.".repeat(20),
    );
    let error: SpoolError | undefined;
    try {
      open();
    } catch (err) {
      error = err as SpoolError;
    }
    expect(error?.code).toBe("SPOOL_OPEN");
    expect(error?.message).toContain(path);
  });

  it("fails with SPOOL_OPEN rather than touch a schema newer than this build", () => {
    open().close();
    const db = new Database(path);
    db.run("PRAGMA user_version = 99");
    db.close();
    expect(thrownCode(() => open())).toBe("SPOOL_OPEN");
  });

  it("keeps frames pending through failed commits, logs the SQLite code, and commits them once it can", () => {
    const lines: string[] = [];
    const spool = open({ busyTimeoutMs: 0, lines });
    const { stream } = callWithStream(spool);
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    appendFrames(spool, stream.streamId, 0, 3);

    expect(() => clock.advance(300)).not.toThrow();
    expect(spool.stats()).toMatchObject({ commitErrors: 3, framesPending: 3, framesCommitted: 0 });
    expect(spool.readFrames(stream.streamId, 1, 10).map((f) => f.idx)).toEqual([1, 2, 3]);
    const failure = lines.map((l) => JSON.parse(l)).find((l) => l.msg.startsWith("spool commit failed"));
    expect(failure).toMatchObject({ level: "error", code: "SQLITE_BUSY", framesPending: 3 });
    let flushError: SpoolError | undefined;
    try {
      spool.flush();
    } catch (err) {
      flushError = err as SpoolError;
    }
    expect(flushError).toMatchObject({ code: "SPOOL_WRITE", sqliteCode: "SQLITE_BUSY" });

    other.run("COMMIT");
    other.close();
    appendFrames(spool, stream.streamId, 3, 4);
    clock.advance(100);
    expect(spool.stats()).toMatchObject({ commitErrors: 4, framesPending: 0, framesCommitted: 4 });
    expect(spool.readFrames(stream.streamId, 1, 10).map((f) => f.rtpSeq)).toEqual([1000, 1001, 1002, 1003]);
  });

  it("rolls back a commit that fails halfway and keeps all of its frames pending", () => {
    const spool = open();
    const { call, stream } = callWithStream(spool);
    const second = spool.createStream(streamFixture(call.callId, 1));
    const other = new Database(path);
    other.run(
      `INSERT INTO chunks (stream_id, first_idx, last_idx, audio_frames, payload_bytes, data)
         VALUES (${second.streamId}, 1, 4, 0, 0, x'')`,
    );
    appendFrames(spool, stream.streamId, 0, 4);
    appendFrames(spool, second.streamId, 0, 4);
    clock.advance(100);
    expect(spool.stats()).toMatchObject({ commitErrors: 1, framesPending: 8 });
    expect(spool.committedIdx(stream.streamId)).toBe(0);
    expect(spool.readFrames(stream.streamId, 1, 10).map((f) => f.rtpSeq)).toEqual([1000, 1001, 1002, 1003]);
    expect(other.query("SELECT COUNT(*) AS n FROM chunks").get()).toEqual({ n: 1 });
    other.run("DELETE FROM chunks");
    other.close();
    clock.advance(100);
    expect(spool.committedIdx(stream.streamId)).toBe(4);
    expect(spool.committedIdx(second.streamId)).toBe(4);
    expect(spool.readFrames(stream.streamId, 1, 10).map((f) => f.rtpSeq)).toEqual([1000, 1001, 1002, 1003]);
  });

  it("never hands out a stream id again, even after every row was deleted", () => {
    let spool = open();
    const { call, stream } = callWithStream(spool);
    const last = spool.createStream(streamFixture(call.callId, 1));
    spool.close();
    const db = new Database(path);
    db.run("DELETE FROM chunks; DELETE FROM streams; DELETE FROM calls;");
    db.close();
    spool = open();
    const again = callWithStream(spool, 2).stream;
    expect(again.streamId).toBeGreaterThan(last.streamId);
    expect(again.streamId).toBeGreaterThan(stream.streamId);
  });

  it("keeps an ended stream's idx after its frames were purged", () => {
    let spool = open();
    const { stream } = callWithStream(spool);
    appendFrames(spool, stream.streamId, 0, 6);
    spool.endStream(stream.streamId, 1);
    spool.close();
    const db = new Database(path);
    db.run("DELETE FROM chunks");
    db.close();
    spool = open();
    expect(spool.lastIdx(stream.streamId)).toBe(6);
    expect(spool.committedIdx(stream.streamId)).toBe(6);
    expect(spool.countFrames(stream.streamId)).toBe(0);
  });

  it("keeps every committed frame of a process killed with SIGKILL, and nothing it had not committed", () => {
    const child = spawnSync(process.execPath, [join(import.meta.dirname, "crash-writer.ts"), path], {
      encoding: "utf8",
    });
    expect(child.signal).toBe("SIGKILL");
    const streamId = Number(child.stdout.trim().split(" ")[0]);
    const spool = open();
    expect(spool.readFrames(streamId, 1, 100).map((f) => f.idx)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(spool.listLiveCallsAtOpen()).toHaveLength(1);
    expect(spool.appendFrame(streamId, audioFrame(10))).toBe(11);
  });

  it("reports the database and WAL size, and truncates the WAL on close", () => {
    const spool = open();
    const { stream } = callWithStream(spool);
    appendFrames(spool, stream.streamId, 0, 50);
    spool.flush();
    const wal = `${path}-wal`;
    expect(spool.stats().bytes).toBe(statSync(path).size + statSync(wal).size);
    expect(statSync(wal).size).toBeGreaterThan(50 * 160);
    spool.close();
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0);
  });

  it("refuses every use after close", () => {
    const spool = open();
    const { stream } = callWithStream(spool);
    spool.close();
    expect(thrownCode(() => spool.appendFrame(stream.streamId, audioFrame(0)))).toBe("INVALID_STATE");
    expect(thrownCode(() => spool.readFrames(stream.streamId, 1, 1))).toBe("INVALID_STATE");
    expect(spool.stats().bytes).toBe(0);
  });

  it("works in memory for tests that need no file", () => {
    path = ":memory:";
    const spool = open();
    const { stream } = callWithStream(spool);
    appendFrames(spool, stream.streamId, 0, 2);
    clock.advance(100);
    expect(spool.committedIdx(stream.streamId)).toBe(2);
    expect(spool.stats().bytes).toBeGreaterThan(0);
  });
});
