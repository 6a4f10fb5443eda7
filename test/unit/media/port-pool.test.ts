import { describe, expect, it } from "vitest";
import { createPortPool, MediaError, MediaPortsExhaustedError } from "../../../src/media/index.ts";

describe("port pool", () => {
  it("hands out even RTP ports whose RTCP port is inside the range", () => {
    const pool = createPortPool([20001, 20010]);
    expect(pool.capacity).toBe(4);
    const ports = [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()];
    expect(ports).toEqual([20002, 20004, 20006, 20008]);
    expect(pool.inUse).toBe(4);
  });

  it("throws MEDIA_PORTS_EXHAUSTED when every port is in use", () => {
    const pool = createPortPool([30000, 30003]);
    pool.allocate();
    pool.allocate();
    let err: unknown;
    try {
      pool.allocate();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MediaPortsExhaustedError);
    expect(err).toBeInstanceOf(MediaError);
    expect(err).toMatchObject({ code: "MEDIA_PORTS_EXHAUSTED", capacity: 2 });
  });

  it("reuses a released port only after the other free ones", () => {
    const pool = createPortPool([40000, 40005]);
    const a = pool.allocate();
    pool.release(a);
    expect([pool.allocate(), pool.allocate(), pool.allocate()]).toEqual([40002, 40004, 40000]);
    expect(pool.inUse).toBe(3);
  });

  it("ignores a second release of the same port", () => {
    const pool = createPortPool([40000, 40003]);
    const a = pool.allocate();
    pool.release(a);
    pool.release(a);
    expect(pool.inUse).toBe(0);
    expect([pool.allocate(), pool.allocate()].sort()).toEqual([40000, 40002]);
    expect(() => pool.allocate()).toThrow(MediaPortsExhaustedError);
  });

  it("refuses to release a port that is not one of its RTP ports", () => {
    const pool = createPortPool([40000, 40003]);
    expect(() => pool.release(40001)).toThrow(RangeError);
    expect(() => pool.release(50000)).toThrow(RangeError);
  });

  it.each([
    ["reversed", [30000, 20000]],
    ["no RTCP port", [20000, 20000]],
    ["odd single pair", [20001, 20002]],
    ["zero", [0, 100]],
    ["above 65535", [65000, 70000]],
    ["fractional", [20000.5, 21000]],
  ] as const)("rejects a bad range (%s) with MEDIA_BAD_PORT_RANGE", (_name, range) => {
    expect(() => createPortPool([range[0], range[1]])).toThrow(
      expect.objectContaining({ code: "MEDIA_BAD_PORT_RANGE" }),
    );
  });
});
