import { describe, expect, it } from "vitest";
import { extractCorrelation, isSiprecInvite, type RecordingMetadata } from "../../../src/siprec/index.ts";

const headers = (values: Record<string, string>) => (name: string) =>
  Object.entries(values).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];

const metadata = (extra: Partial<RecordingMetadata> = {}): RecordingMetadata => ({
  namespace: "urn:ietf:params:xml:ns:recording:1",
  dataMode: "complete",
  sessions: [{ sessionId: "" }, { sessionId: "rs-42" }],
  participants: [],
  streams: [],
  extensions: [],
  ...extra,
});

describe("extractCorrelation", () => {
  it("collects every known id, each under its own key", () => {
    const ids = extractCorrelation(
      headers({
        "Session-ID": "ab12cd34ab12cd34ab12cd34ab12cd34;remote=00000000000000000000000000000000",
        "Cisco-Guid": "0802710458-1959465449-2230944426-0123456789",
        "User-to-User": "00FA080001000758A20EFA;encoding=hex",
        "X-BroadWorks-Correlation-Info": "b1e2c3d4-0000-4000-8000-000000000001",
        "X-GenesysConversationID": "conv-7",
        "Call-Info": "<urn:x:conv:1>;purpose=Goog-ContactCenter-Conversation",
        "Call-ID": "not-included@host",
      }),
      metadata(),
    );
    expect(ids).toEqual({
      sessionId: "ab12cd34ab12cd34ab12cd34ab12cd34",
      ciscoGuid: "0802710458-1959465449-2230944426-0123456789",
      ucid: "00FA080001000758A20EFA",
      broadworksCorrelation: "b1e2c3d4-0000-4000-8000-000000000001",
      genesysConversationId: "conv-7",
      callInfo: "<urn:x:conv:1>;purpose=Goog-ContactCenter-Conversation",
      siprecSessionId: "rs-42",
    });
  });

  it("returns no keys when nothing is present", () => {
    expect(extractCorrelation(headers({}))).toEqual({});
  });

  it("takes the UCID from the metadata when User-to-User is absent or not a UCID", () => {
    const md = metadata({ ucid: "00FA08000B00207A11C9D4" });
    expect(extractCorrelation(headers({}), md).ucid).toBe("00FA08000B00207A11C9D4");
    expect(extractCorrelation(headers({ "User-to-User": "04C8123456;encoding=hex" }), md).ucid).toBe(
      "00FA08000B00207A11C9D4",
    );
  });

  it.each([
    ["plain text user data", "hello-agent;encoding=ascii"],
    ["hex that is not a UCID", "04C80A48656C6C6F;encoding=hex"],
  ])("does not call %s a UCID", (_, value) => {
    expect(extractCorrelation(headers({ "User-to-User": value }))).toEqual({});
  });

  it("falls back to X-Genesys-CallUUID", () => {
    expect(extractCorrelation(headers({ "X-Genesys-CallUUID": "019A4C2E7B3D" }))).toEqual({
      genesysConversationId: "019A4C2E7B3D",
    });
  });
});

describe("isSiprecInvite", () => {
  it.each([
    ["+sip.src feature tag", { Contact: "<sip:192.0.2.1:5060>;+sip.src" }, true],
    ["legacy ;src", { Contact: "<sip:192.0.2.1:5060>;src" }, true],
    ["+sip-src spelling", { Contact: "<sip:192.0.2.1:5060>;+sip-src;expires=60" }, true],
    [
      "tag inside the URI parameters",
      { Contact: '"H323" <sip:192.0.2.1:5061;transport=tcp;+sip.src>' },
      true,
    ],
    ["Require: siprec only", { Contact: "<sip:192.0.2.1>", Require: "timer, siprec" }, true],
    ["Supported: siprec only", { Contact: "<sip:192.0.2.1>", Supported: "100rel,SIPREC" }, true],
    ["an ordinary call", { Contact: "<sip:192.0.2.1>", Supported: "100rel,timer" }, false],
    ["a parameter that only starts with src", { Contact: "<sip:192.0.2.1>;srcport=5060" }, false],
    ["no headers", {}, false],
  ])("%s → %s", (_, values, expected) => {
    expect(isSiprecInvite(headers(values))).toBe(expected);
  });
});
