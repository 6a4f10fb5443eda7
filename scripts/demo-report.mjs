// Prints what the demo call left behind: spool counts from the appliance's API, the WAV files the
// upstream receiver wrote, and the MQTT events. Waits (up to 30 s) until every sink unit is done.
// Usage: node scripts/demo-report.mjs http://127.0.0.1:18081 var/demo
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const [base, demoDir] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function status() {
  const response = await fetch(`${base}/api/status`);
  return response.json();
}

let snapshot = await status();
for (let i = 0; i < 150; i++) {
  const calls = [...snapshot.calls.live, ...snapshot.calls.recent];
  const units = calls.flatMap((c) => c.sinks);
  if (
    snapshot.calls.live.length === 0 &&
    calls.length > 0 &&
    units.length > 0 &&
    units.every((u) => u.state === "done")
  )
    break;
  await sleep(200);
  snapshot = await status();
}

for (const call of snapshot.calls.recent) {
  console.log(`Call ${call.callId} (SIP Call-ID ${call.sipCallId}) ${call.state}, reason ${call.reason}`);
  console.log(`  correlation: ${JSON.stringify(call.correlation)}`);
  for (const p of call.participants)
    console.log(`  participant ${p.participantId}: ${p.aor || "(no AOR)"} ${p.name} → ${p.role}`);
  for (const s of call.streams) {
    console.log(
      `  stream ${s.streamId} label ${s.label} ${s.codec} ${s.role}: ${s.packetsReceived} RTP packets, ${s.packetsLost} lost, ${s.framesSpooled} frames spooled`,
    );
  }
  for (const u of call.sinks) {
    console.log(
      `  sink ${u.sink} unit ${u.unit}: ${u.state}, ${u.ackedSeq} of ${u.sentSeq} items acknowledged`,
    );
  }
  const capture = join(demoDir, "captures", `${call.callId}.pcap`);
  if (existsSync(capture))
    console.log(
      `  capture (SIP and RTP as received, opens in Wireshark): ${capture}, ${statSync(capture).size} bytes`,
    );
}

const receivedDir = join(demoDir, "received");
console.log(`\nWAV files written by the upstream receiver (${receivedDir}):`);
const walk = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
for (const file of walk(receivedDir).filter((f) => f.endsWith(".wav"))) {
  const wav = readFileSync(file);
  const channels = wav.readUInt16LE(22);
  const byteRate = wav.readUInt32LE(28);
  const dataBytes = wav.length - (wav.indexOf("data") + 8);
  console.log(`  ${file}  ${channels === 2 ? "stereo" : "mono"}, ${(dataBytes / byteRate).toFixed(2)} s`);
}

const mqttFile = join(demoDir, "mqtt.txt");
if (existsSync(mqttFile)) {
  const events = readFileSync(mqttFile, "utf8")
    .split("\n")
    .filter((line) => line.includes("/events/"))
    .map((line) => line.split(" ")[0].split("/").pop());
  console.log(`\nMQTT events received on the broker: ${events.join(", ") || "(none)"}`);
}
console.log(`\nStatus page: ${base}/   Appliance log: ${join(demoDir, "appliance.log")}`);
