import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../helpers/recorded-call.ts";

const here = import.meta.dirname;
const read = (name: string) => readFileSync(join(here, name), "utf8");
const helper = join(here, "rtp-send.ts");

describe("siprec-uac-pcmu-long.xml", () => {
  it("is the PCMU call with 5 loops of each file and a pause for 60 s of media; nothing else differs", () => {
    const long = read("siprec-uac-pcmu-long.xml");
    const comment = (text: string) => text.slice(text.indexOf("<!--"), text.indexOf("-->") + 3);
    const asShort = long
      .replace(comment(long), comment(read("siprec-uac-pcmu.xml")))
      .replace("SIPREC SRC, PCMU, long call", "SIPREC SRC, PCMU")
      .replace("SIPp siprec-uac-pcmu-long", "SIPp siprec-uac-pcmu")
      .replace("agent.ulaw,5,0", "agent.ulaw,1,0")
      .replace(" --loops 5", "")
      .replace(
        "<!-- Both streams last 60.000 s; the margin covers the helper's start-up when many calls start at once. -->",
        "<!-- Both files are 12.000 s; the margin covers the helper's start-up. -->",
      )
      .replace('<pause milliseconds="63000"/>', '<pause milliseconds="13000"/>');

    expect(asShort).toBe(read("siprec-uac-pcmu.xml"));
  });
});

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("rtp-send.ts --loops", () => {
  it("sends the file N times back to back as one stream: sequence and timestamp run on, one marker", async () => {
    dir = await mkdtemp(join(tmpdir(), "rtp-send-loops-"));
    const file = join(dir, "two-frames.ulaw");
    const content = Uint8Array.from({ length: 2 * 160 }, (_, i) => (i * 13) & 0xff);
    await writeFile(file, content);
    const packets: Uint8Array[] = [];
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(_socket, data) {
          packets.push(new Uint8Array(data));
        },
      },
    });

    const looped = Bun.spawn(
      [
        process.execPath,
        helper,
        ...["--to", `127.0.0.1:${socket.port}`, "--file", file, "--pt", "0", "--ssrc", "7", "--loops", "3"],
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await looped.exited).toBe(0);
    await until(() => packets.length >= 6, "six packets");
    socket.close();

    expect(packets).toHaveLength(6);
    expect(Buffer.concat(packets.map((p) => p.subarray(12)))).toEqual(
      Buffer.concat([content, content, content]),
    );
    const views = packets.map((p) => new DataView(p.buffer, p.byteOffset, p.byteLength));
    expect(views.map((v) => v.getUint8(1) & 0x80)).toEqual([0x80, 0, 0, 0, 0, 0]);
    const seq0 = views[0]?.getUint16(2) ?? 0;
    expect(views.map((v) => (v.getUint16(2) - seq0) & 0xffff)).toEqual([0, 1, 2, 3, 4, 5]);
    const ts0 = views[0]?.getUint32(4) ?? 0;
    expect(views.map((v) => (v.getUint32(4) - ts0) >>> 0)).toEqual([0, 160, 320, 480, 640, 800]);
  });

  it("refuses a loop count that is not a whole number ≥ 1", async () => {
    const proc = Bun.spawn(
      [
        process.execPath,
        helper,
        "--to",
        "127.0.0.1:9",
        "--file",
        helper,
        "--pt",
        "0",
        "--ssrc",
        "1",
        "--loops",
        "0",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toMatch(/--loops must be/);
  });
});
