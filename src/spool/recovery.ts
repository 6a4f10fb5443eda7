import type { Database } from "bun:sqlite";
import type { CallStore } from "./call-store.ts";
import { guardWrite } from "./errors.ts";
import type { FrameStore } from "./frame-store.ts";
import type { CallRecord } from "./spool-types.ts";

/**
 * Crash recovery (DESIGN.md §4): in one transaction, ends the open streams of `callIds` at their last
 * committed frame and closes the calls as `recovered` (reason `recovered`) at `endedUs`; then stops
 * their streams from taking frames. Nothing of theirs may be pending (flush first).
 * @returns the closed calls, as stored now.
 * @throws SpoolError `SPOOL_WRITE` if SQLite refuses (nothing is changed then).
 * @internal used by `SqliteSpool` only.
 */
export function closeCrashedCalls(
  db: Database,
  calls: CallStore,
  frames: FrameStore,
  callIds: readonly string[],
  endedUs: number,
): CallRecord[] {
  const ended: number[] = [];
  guardWrite("close the calls a crash left live", () =>
    db.transaction(() => {
      for (const callId of callIds) {
        for (const streamId of calls.openStreamIds(callId)) {
          calls.endStream(streamId, endedUs, frames.lastIdx(streamId));
          ended.push(streamId);
        }
        calls.endCall(callId, "recovered", "recovered", endedUs);
      }
    })(),
  );
  for (const streamId of ended) frames.retire(streamId);
  return callIds.map((callId) => calls.getCall(callId)).filter((call) => call !== undefined);
}
