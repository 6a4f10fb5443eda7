import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const helper = join(import.meta.dirname, "rtp-send.ts");
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("rtp-send.ts (m-line 2 sender of the SIPp scenarios)", () => {
  it("sends a file's exact bytes as 160-byte RTP packets with the marker first, then exits", async () => {
    dir = await mkdtemp(join(tmpdir(), "rtp-send-"));
    const file = join(dir, "tone.alaw");
    const content = Uint8Array.from({ length: 3 * 160 + 25 }, (_, i) => (i * 7) & 0xff);
    await writeFile(file, content);
    const packets: Uint8Array[] = [];
    let allReceived: () => void = () => {};
    const received = new Promise<void>((resolve) => {
      allReceived = resolve;
    });
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(_socket, data) {
          packets.push(new Uint8Array(data));
          if (packets.reduce((sum, p) => sum + p.length - 12, 0) >= content.length) allReceived();
        },
      },
    });

    const proc = Bun.spawn(
      [
        process.execPath,
        helper,
        "--to",
        `127.0.0.1:${socket.port}`,
        "--file",
        file,
        "--pt",
        "8",
        "--ssrc",
        "0xCA120000+3",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const exitCode = await proc.exited;
    await received;
    socket.close();

    expect(exitCode).toBe(0);
    expect(packets.map((p) => p.length - 12)).toEqual([160, 160, 160, 25]);
    expect(Buffer.concat(packets.map((p) => p.subarray(12)))).toEqual(Buffer.from(content));
    const views = packets.map((p) => new DataView(p.buffer, p.byteOffset, p.byteLength));
    expect(views.map((v) => v.getUint8(1))).toEqual([0x80 | 8, 8, 8, 8]);
    expect(new Set(views.map((v) => v.getUint32(8)))).toEqual(new Set([0xca120003]));
    const seq0 = views[0]?.getUint16(2) ?? 0;
    expect(views.map((v) => (v.getUint16(2) - seq0) & 0xffff)).toEqual([0, 1, 2, 3]);
    const ts0 = views[0]?.getUint32(4) ?? 0;
    expect(views.map((v) => (v.getUint32(4) - ts0) >>> 0)).toEqual([0, 160, 320, 480]);
  });

  it("refuses a payload type other than 0 or 8", async () => {
    const proc = Bun.spawn(
      [process.execPath, helper, "--to", "127.0.0.1:9", "--file", helper, "--pt", "18", "--ssrc", "1"],
      { stdout: "pipe", stderr: "pipe" },
    );
    expect(await proc.exited).toBe(2);
    expect(await new Response(proc.stderr).text()).toMatch(/--pt must be 0/);
  });
});
