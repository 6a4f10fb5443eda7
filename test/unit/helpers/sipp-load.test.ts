import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type CaptureSrs, startCaptureSrs } from "../../helpers/capture-srs.ts";
import { longCallScenario, planSippLoadMedia, runSippLoad } from "../../helpers/sipp-load.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const fixture = (name: string) => readFile(join(repoRoot, "test/fixtures/audio", name));
/** Byte equality without a slow element-wise diff of 100 KB arrays. */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

let dir: string | undefined;
let srs: CaptureSrs | undefined;
afterEach(async () => {
  await srs?.close();
  srs = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("planSippLoadMedia", () => {
  it("loops the 12 s fixtures as they are when the length is a whole number of them", async () => {
    dir = await mkdtemp(join(tmpdir(), "sipp-load-plan-"));
    const plan = await planSippLoadMedia(60, dir);
    const [agent, customer] = [await fixture("agent.ulaw"), await fixture("customer.ulaw")];

    expect(plan.loops).toBe(5);
    expect(plan.files).toEqual({
      mline1: "test/fixtures/audio/agent.ulaw",
      mline2: "test/fixtures/audio/customer.ulaw",
    });
    expect(plan.sentPayload.mline1.byteLength).toBe(480_000);
    expect(same(plan.sentPayload.mline1, Buffer.concat(Array(5).fill(agent)))).toBe(true);
    expect(same(plan.sentPayload.mline2, Buffer.concat(Array(5).fill(customer)))).toBe(true);
  });

  it("writes files of exactly the length, looped and cut, when it is not", async () => {
    dir = await mkdtemp(join(tmpdir(), "sipp-load-plan-"));
    const plan = await planSippLoadMedia(30, dir);
    const agent = await fixture("agent.ulaw");

    expect(plan.loops).toBe(1);
    expect(plan.sentPayload.mline1.byteLength).toBe(240_000);
    expect(same(plan.sentPayload.mline1, Buffer.concat([agent, agent, agent.subarray(0, 48_000)]))).toBe(
      true,
    );
    expect(same(await readFile(plan.files.mline1), plan.sentPayload.mline1)).toBe(true);
    expect(same(await readFile(plan.files.mline2), plan.sentPayload.mline2)).toBe(true);
  });

  it("refuses a length that is not a whole number of seconds", async () => {
    await expect(planSippLoadMedia(2.5, tmpdir())).rejects.toThrow(/whole number/);
  });
});

describe("longCallScenario", () => {
  it("rewrites the media files, loop counts and pause of the long-call scenario", async () => {
    const template = await readFile(join(repoRoot, "test/interop/siprec-uac-pcmu-long.xml"), "utf8");
    const text = longCallScenario(
      template,
      {
        files: { mline1: "/tmp/a.ulaw", mline2: "/tmp/b.ulaw" },
        loops: 3,
        sentPayload: { mline1: new Uint8Array(), mline2: new Uint8Array() },
      },
      39_000,
    );

    expect(text).toContain('<exec rtp_stream="/tmp/a.ulaw,3,0"/>');
    expect(text).toMatch(/rtp-send\.ts .* --file \/tmp\/b\.ulaw .* --loops 3"/);
    expect(text).toContain('<pause milliseconds="39000"/>');
  });
});

describe("runSippLoad", () => {
  it.each(["udp", "tcp"] as const)(
    "runs concurrent calls over %s that each send the looped payload on both m-lines, then BYE",
    async (transport) => {
      srs = await startCaptureSrs({ transport });
      const run = await runSippLoad({
        calls: 3,
        durationS: 2,
        target: `127.0.0.1:${srs.port}`,
        transport,
        byeMarginMs: 2000,
      });

      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.callsSucceeded).toBe(3);
      expect(run.callsFailed).toBe(0);
      expect(run.sentPayload.mline1.byteLength).toBe(16_000);
      const calls = srs.calls();
      expect(calls.map((c) => c.ended)).toEqual([true, true, true]);
      expect(calls.map((c) => c.userToUser)).toEqual(run.calls.map((c) => `${c.ucid};encoding=hex`));
      for (const [i, call] of calls.entries()) {
        expect([call.mline1.packets, call.mline2.packets]).toEqual([100, 100]);
        expect(same(call.mline1.payload, run.sentPayload.mline1)).toBe(true);
        expect(same(call.mline2.payload, run.sentPayload.mline2)).toBe(true);
        expect([call.mline1.ssrcs, call.mline2.ssrcs]).toEqual([
          [run.calls[i]?.ssrcMline1],
          [run.calls[i]?.ssrcMline2],
        ]);
        expect(call.mline1.packetsAfterBye + call.mline2.packetsAfterBye).toBe(0);
      }
      expect(new Set(run.calls.map((c) => c.siprecSessionId)).size).toBe(3);
    },
    60_000,
  );
});
