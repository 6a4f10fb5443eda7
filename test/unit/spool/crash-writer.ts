/**
 * Child process for the crash tests: commits 10 frames, stores one outbox event, queues 5 more frames,
 * prints the stream id and the eventSeq and kills itself with SIGKILL (no close, no flush, no exit
 * handlers). Usage: `bun crash-writer.ts <spool path>`.
 */
import { openSqliteSpool } from "../../../src/spool/index.ts";
import { appendFrames, baseUs, callWithStream } from "../../contract/spool-fixtures.ts";
import { ManualClock } from "../../helpers/manual-clock.ts";

const path = process.argv[2];
if (!path) throw new Error("usage: crash-writer.ts <spool path>");
const spool = openSqliteSpool({ path, clock: new ManualClock() });
const { call, stream } = callWithStream(spool);
appendFrames(spool, stream.streamId, 0, 10);
spool.flush();
const eventSeq = spool.appendEvent({ name: "SESSIONSTARTED", callId: call.callId, time: baseUs, body: "{}" });
appendFrames(spool, stream.streamId, 10, 15);
process.stdout.write(`${stream.streamId} ${eventSeq}\n`, () => process.kill(process.pid, "SIGKILL"));
