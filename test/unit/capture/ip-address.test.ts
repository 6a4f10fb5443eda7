import { describe, expect, it } from "vitest";
import { ipAddressBytes, isWildcardAddress } from "../../../src/capture/index.ts";

describe("ipAddressBytes", () => {
  it.each([
    ["192.0.2.1", [192, 0, 2, 1]],
    ["::ffff:192.0.2.1", [192, 0, 2, 1]],
    ["::1", [...new Array(15).fill(0), 1]],
    ["2001:db8::2:1", [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]],
    ["fe80::1%eth0", [0xfe, 0x80, ...new Array(13).fill(0), 1]],
    ["[2001:db8::1]", [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1]],
    ["64:ff9b::192.0.2.33", [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 33]],
  ])("reads %s", (text, bytes) => {
    expect(Array.from(ipAddressBytes(text))).toEqual(bytes);
  });

  it.each(["", "1.2.3", "256.0.0.1", "1::2::3", "1:2:3:4:5:6:7:8:9", "host.example", "12345::"])(
    "refuses %s",
    (text) => {
      expect(() => ipAddressBytes(text)).toThrow(RangeError);
    },
  );

  it("tells wildcard bind addresses", () => {
    expect(["0.0.0.0", "::", "127.0.0.1"].map(isWildcardAddress)).toEqual([true, true, false]);
  });
});
