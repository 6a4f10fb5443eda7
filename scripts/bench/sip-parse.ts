/**
 * Parser benchmark: parses the ~2 KB SIPREC INVITE fixture N times (datagram mode and through the
 * stream framer) and prints messages/s and µs/message.
 *
 * Usage: bun scripts/bench/sip-parse.ts [iterations=50000]
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMessage, SipStreamParser, serializeMessage } from "../../src/sip/index.ts";

const invite = new Uint8Array(
  readFileSync(join(import.meta.dirname, "../../test/fixtures/sip/siprec-invite.sip")),
);
const iterations = Number(process.argv[2] ?? 50_000);

function run(label: string, fn: () => void): void {
  for (let i = 0; i < Math.min(5_000, iterations); i++) fn();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  const ms = performance.now() - start;
  const perSecond = Math.round((iterations / ms) * 1000);
  console.log(
    `${label.padEnd(34)} ${perSecond.toLocaleString("en-US").padStart(10)} msg/s  ${((ms * 1000) / iterations).toFixed(2)} µs/msg`,
  );
}

console.log(`SIPREC INVITE: ${invite.length} bytes, ${iterations} iterations`);
run("parseMessage (datagram)", () => {
  parseMessage(invite);
});
const stream = new SipStreamParser();
run("SipStreamParser.push (whole msg)", () => {
  stream.push(invite);
});
run("parse + callId/cseq/from/to/via", () => {
  const msg = parseMessage(invite);
  if (!msg.callId || !msg.cseq || !msg.from || !msg.to || msg.via.length === 0) throw new Error("bad parse");
});
const parsed = parseMessage(invite);
run("serializeMessage", () => {
  serializeMessage(parsed);
});
