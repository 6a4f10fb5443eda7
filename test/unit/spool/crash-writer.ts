/**
 * Child process for the crash test: commits 10 frames, queues 5 more, prints the stream id and kills
 * itself with SIGKILL (no close, no flush, no exit handlers). Usage: `bun crash-writer.ts <spool path>`.
 */
import { openSqliteSpool } from "../../../src/spool/index.ts";
import { appendFrames, callWithStream } from "../../contract/spool-fixtures.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-writer.ts <spool path>");
const spool = openSqliteSpool({ path, clock: new ManualClock() });
const { stream } = callWithStream(spool);
appendFrames(spool, stream.streamId, 0, 10);
spool.flush();
appendFrames(spool, stream.streamId, 10, 15);
process.stdout.write(`${stream.streamId}\n`, () => process.kill(process.pid, "SIGKILL"));
