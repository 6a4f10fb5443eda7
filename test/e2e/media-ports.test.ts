import { createSocket, type Socket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { freePort, startAppliance } from "../helpers/appliance.ts";
import { metadataXml, multipartBody, offerSdp, openRawSipPeer, sipInvite } from "../helpers/raw-sip.ts";

it("skips RTP ports another process holds and still answers 200 with ports it could bind", async () => {
  const dir = await mkdtemp(join(tmpdir(), "siprec-edge-ports-"));
  const sipPort = await freePort();
  const webPort = await freePort();
  const lo = 20000 + 2 * Math.floor(Math.random() * 6000);
  const held: Socket[] = [];
  for (let port = lo; port < lo + 10; port += 2) {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(port, "127.0.0.1", resolve));
    held.push(socket);
  }
  const appliance = await startAppliance(
    dir,
    `appliance_id: ports
sip: { listen: ["udp:127.0.0.1:${sipPort}"] }
media: { address: 127.0.0.1, port_range: [${lo}, ${lo + 19}] }
spool: { path: ./spool.db }
web: { listen: "127.0.0.1:${webPort}" }
`,
    webPort,
  );
  const sip = await openRawSipPeer();
  try {
    const body = multipartBody(offerSdp(30000, [{ pt: 0, rtpmap: "PCMU/8000" }]), metadataXml());
    sip.send(
      sipInvite({
        callId: "ports-1",
        port: sip.port,
        srsPort: sipPort,
        contentType: "multipart/mixed;boundary=b0undary",
        body,
      }),
      sipPort,
    );
    const answer = await sip.finalResponse("ports-1");
    expect(answer.status).toBe(200);
    const ports = [...answer.bodyText.matchAll(/m=audio (\d+)/g)].map((m) => Number(m[1]));
    expect(ports).toHaveLength(2);
    for (const port of ports) expect(port).toBeGreaterThanOrEqual(lo + 10);
  } finally {
    sip.close();
    for (const socket of held) socket.close();
    await appliance.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
