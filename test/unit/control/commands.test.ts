import { describe, expect, it } from "vitest";
import {
  CommandError,
  type CommandErrorCode,
  checkDeadline,
  commandNames,
  deadlineOf,
  httpStatusOf,
  parseCommand,
  replyOf,
} from "../../../src/control/index.ts";

const sessionId = "0195a1b2-0000-7000-8000-00000000c0de";

/** The CommandError `parseCommand` throws for a request. */
function refusal(name: string, params: unknown): CommandError {
  try {
    parseCommand(name, params);
  } catch (err) {
    if (err instanceof CommandError) return err;
    throw err;
  }
  throw new Error(`${name} ${JSON.stringify(params)} was accepted`);
}

describe("parseCommand accepts every command with valid parameters", () => {
  it("startStream by session id, with every per-call override", () => {
    const params = {
      sessionId,
      sink: "ai.eu-1",
      url: "wss://ai.example/stream?x=1",
      protocol: "easp",
      mode: "per-participant",
      format: "L16/8000",
      headers: { "X-Tenant": "acme", Authorization: "Bearer t" },
    };
    expect(parseCommand("startStream", params)).toEqual({ name: "startStream", params });
  });

  it("startStream by correlation id, with a plain ws:// URL", () => {
    const params = { correlationId: "00001002161234567890", sink: "archive", url: "ws://127.0.0.1:9000/" };
    expect(parseCommand("startStream", params)).toEqual({ name: "startStream", params });
  });

  it("startSIPRecForward with an ad-hoc SRS, presentation overrides, X-headers and a reference", () => {
    const params = {
      sessionId,
      sink: "compliance",
      uri: "sips:srs.example.com",
      codec: "PCMA/8000",
      srtp: "AES_CM_128_HMAC_SHA1_80",
      caller: { name: "Customer", user: "4930123", label: "1" },
      calledParty: { name: "Agent 42" },
      xHeaders: { "X-Tenant": "acme" },
      reference: { ticket: 7, tags: ["a"] },
    };
    expect(parseCommand("startSIPRecForward", params)).toEqual({ name: "startSIPRecForward", params });
    expect(parseCommand("stopSIPRecForward", { sessionId, sink: "compliance" }).name).toBe(
      "stopSIPRecForward",
    );
  });

  it("startSIPRecForward refuses a non-SIP URI and a non-X header, naming the field", () => {
    expect(() => parseCommand("startSIPRecForward", { sessionId, sink: "c", uri: "http://srs" })).toThrow(
      /uri/,
    );
    expect(() =>
      parseCommand("startSIPRecForward", { sessionId, sink: "c", xHeaders: { Authorization: "x" } }),
    ).toThrow(/xHeaders/);
  });

  it("stopStream", () => {
    expect(parseCommand("stopStream", { correlationId: "a84b4c76e66710@sbc.example", sink: "ai" })).toEqual({
      name: "stopStream",
      params: { correlationId: "a84b4c76e66710@sbc.example", sink: "ai" },
    });
  });

  it("pauseRecording and resumeRecording, with and without a reason", () => {
    expect(parseCommand("pauseRecording", { sessionId, reason: "PCI" })).toEqual({
      name: "pauseRecording",
      params: { sessionId, reason: "PCI" },
    });
    expect(parseCommand("resumeRecording", { correlationId: "guid-1" })).toEqual({
      name: "resumeRecording",
      params: { correlationId: "guid-1" },
    });
  });

  it("getStatus and reloadConfig take no parameters", () => {
    expect(parseCommand("getStatus", {})).toEqual({ name: "getStatus", params: {} });
    expect(parseCommand("reloadConfig", {})).toEqual({ name: "reloadConfig", params: {} });
  });

  it("listCalls defaults to 100 live calls and takes a state and a limit", () => {
    expect(parseCommand("listCalls", {})).toEqual({
      name: "listCalls",
      params: { state: "live", limit: 100 },
    });
    expect(parseCommand("listCalls", { state: "all", limit: 1000 })).toEqual({
      name: "listCalls",
      params: { state: "all", limit: 1000 },
    });
  });

  it("drain starts a drain by default and cancels one with cancel: true", () => {
    expect(parseCommand("drain", {})).toEqual({ name: "drain", params: { cancel: false } });
    expect(parseCommand("drain", { cancel: true })).toEqual({ name: "drain", params: { cancel: true } });
  });

  it("testCall records 10 s by default and takes 1 to 60 s", () => {
    expect(parseCommand("testCall", {})).toEqual({ name: "testCall", params: { durationS: 10 } });
    expect(parseCommand("testCall", { durationS: 60 })).toEqual({
      name: "testCall",
      params: { durationS: 60 },
    });
    for (const durationS of [0, 61, 2.5, "10"]) {
      expect(() => parseCommand("testCall", { durationS })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: "durationS" }),
      );
    }
  });

  it("every command name is served", () => {
    for (const name of commandNames) {
      expect(() => parseCommand(name, {})).not.toThrow(expect.objectContaining({ code: "UNKNOWN_COMMAND" }));
    }
  });
});

describe("parseCommand refuses bad input and names the field", () => {
  it.each([
    ["startStream", { sessionId }, "sink", "is required"],
    ["startStream", { sessionId, sink: "bad name" }, "sink", "configured sink"],
    ["startStream", { sink: "ai" }, "sessionId", "correlationId"],
    ["startStream", { sessionId, correlationId: "x", sink: "ai" }, "sessionId", "exactly one"],
    ["stopStream", { sessionId: "not-a-uuid", sink: "ai" }, "sessionId", "UUIDv7"],
    ["stopStream", { correlationId: "", sink: "ai" }, "correlationId", "correlation id"],
    ["startStream", { sessionId, sink: "ai", url: "https://ai.example/" }, "url", "ws:// or wss://"],
    ["startStream", { sessionId, sink: "ai", protocol: "sip" }, "protocol", '"easp"'],
    ["startStream", { sessionId, sink: "ai", mode: "mono" }, "mode", "per-participant"],
    ["startStream", { sessionId, sink: "ai", format: "PCMU/16000" }, "format", "PCMA/8000"],
    ["startStream", { sessionId, sink: "ai", headers: { "X-Tenant": 7 } }, "headers.X-Tenant", "text"],
    ["startStream", { sessionId, sink: "ai", headers: { X: "a\r\nEvil: 1" } }, "headers.X", "CR or LF"],
    [
      "startStream",
      { sessionId, sink: "ai", headers: { "Bad Name": "a" } },
      "headers.Bad Name",
      "header name",
    ],
    ["startStream", { sessionId, sink: "ai", headers: ["X"] }, "headers", "header name"],
    ["pauseRecording", { sessionId, reason: "x".repeat(201) }, "reason", "200 characters"],
    ["listCalls", { limit: 0 }, "limit", "1 to 1000"],
    ["listCalls", { limit: 1001 }, "limit", "1 to 1000"],
    ["listCalls", { limit: 2.5 }, "limit", "integer"],
    ["listCalls", { limit: "10" }, "limit", "integer"],
    ["listCalls", { state: "dead" }, "state", "recovered"],
    ["drain", { cancel: "yes" }, "cancel", "true or false"],
    ["getStatus", { verbose: true }, "verbose", "unknown parameter"],
    ["stopStream", { sessionId, sink: "ai", url: "ws://x/" }, "url", "unknown parameter"],
    ["getStatus", { expiresAt: "tomorrow" }, "expiresAt", "ISO-8601"],
    ["getStatus", { expiresAt: "2025-01-31T12:00:00" }, "expiresAt", "time zone"],
  ])("%s %j → field %s", (name, params, field, hint) => {
    const err = refusal(name, params);
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(err.field).toBe(field);
    expect(err.message).toContain(field.split(".")[0]);
    expect(err.message).toContain(hint);
  });

  it("says what a refused value was", () => {
    expect(refusal("listCalls", { limit: 5000 }).message).toBe(
      "listCalls: limit is invalid (got 5000): give an integer from 1 to 1000",
    );
  });

  it("lists what an unknown parameter's command accepts", () => {
    expect(refusal("drain", { force: true }).message).toBe(
      'drain: unknown parameter "force"; drain accepts expiresAt, cancel',
    );
  });

  it.each([
    [null, "null"],
    [[1, 2], "an array"],
    ["getStatus", "a string"],
    [42, "a number"],
    [undefined, "a undefined"],
  ])("refuses the payload %j, which is not an object, on field (body)", (params, kind) => {
    const err = refusal("getStatus", params);
    expect(err).toMatchObject({ code: "INVALID_ARGUMENT", field: "(body)" });
    expect(err.message).toContain(`got ${kind}`);
  });

  it("refuses an unknown command and lists the known ones", () => {
    const err = refusal("startRecording", {});
    expect(err.code).toBe("UNKNOWN_COMMAND");
    expect(err.known).toEqual([...commandNames]);
    expect(err.message).toContain(
      "startStream, stopStream, startSIPRecForward, stopSIPRecForward, pauseRecording",
    );
    expect(refusal("toString", {}).code).toBe("UNKNOWN_COMMAND");
    expect(refusal("StartStream", {}).code).toBe("UNKNOWN_COMMAND");
  });
});

describe("command deadlines", () => {
  const now = Date.UTC(2025, 0, 31, 12, 0, 0);

  it("expiresAt becomes expiresAtMs and is not part of the parameters", () => {
    const parsed = parseCommand("stopStream", {
      sessionId,
      sink: "ai",
      expiresAt: "2025-01-31T13:00:00+01:00",
    });
    expect(parsed).toEqual({ name: "stopStream", params: { sessionId, sink: "ai" }, expiresAtMs: now });
  });

  it("a command whose expiresAt is in the future runs", () => {
    const parsed = parseCommand("getStatus", { expiresAt: "2025-01-31T12:00:30.500Z" });
    expect(() => checkDeadline(parsed.expiresAtMs, now)).not.toThrow();
    expect(() => checkDeadline(parsed.expiresAtMs, now + 30_500)).not.toThrow();
  });

  it("a command whose expiresAt is in the past is refused with EXPIRED, saying when and how long ago", () => {
    const parsed = parseCommand("drain", { expiresAt: "2025-01-31T11:59:58Z" });
    let err: unknown;
    try {
      checkDeadline(parsed.expiresAtMs, now);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({
      code: "EXPIRED",
      message: "command expired at 2025-01-31T11:59:58.000Z, 2000 ms ago; not executed",
    });
  });

  it("a command without a deadline never expires", () => {
    expect(parseCommand("getStatus", {}).expiresAtMs).toBeUndefined();
    expect(() => checkDeadline(undefined, now)).not.toThrow();
  });

  it("the earlier of expiresAt and the transport deadline counts", () => {
    expect(deadlineOf(now, now + 5)).toBe(now);
    expect(deadlineOf(now + 5, now)).toBe(now);
    expect(deadlineOf(undefined, now)).toBe(now);
    expect(deadlineOf(now, undefined)).toBe(now);
    expect(deadlineOf(undefined, undefined)).toBeUndefined();
  });
});

describe("command replies", () => {
  it("a CommandError becomes an error reply with its code, message, field and known names", () => {
    expect(replyOf(refusal("listCalls", { limit: 0 }))).toEqual({
      ok: false,
      error: {
        code: "INVALID_ARGUMENT",
        field: "limit",
        message: "listCalls: limit is invalid (got 0): give an integer from 1 to 1000",
      },
    });
    const unknown = replyOf(refusal("nope", {}));
    expect(unknown.ok === false && unknown.error.known).toEqual([...commandNames]);
    expect(replyOf(new CommandError("NO_SUCH_CALL", "no call x"))).toStrictEqual({
      ok: false,
      error: { code: "NO_SUCH_CALL", message: "no call x" },
    });
  });

  it("any other error becomes INTERNAL with its message", () => {
    expect(replyOf(new Error("disk on fire"))).toEqual({
      ok: false,
      error: { code: "INTERNAL", message: "disk on fire" },
    });
    expect(replyOf("plain")).toEqual({ ok: false, error: { code: "INTERNAL", message: "plain" } });
  });

  it.each<[CommandErrorCode, number]>([
    ["INVALID_ARGUMENT", 400],
    ["UNKNOWN_COMMAND", 404],
    ["NO_SUCH_CALL", 404],
    ["NO_SUCH_SINK", 404],
    ["ALREADY_STARTED", 409],
    ["ALREADY_STOPPED", 409],
    ["ALREADY_PAUSED", 409],
    ["NOT_PAUSED", 409],
    ["REQUEST_PENDING", 409],
    ["CALL_ENDING", 409],
    ["EXPIRED", 408],
    ["CONFIG_INVALID", 422],
    ["DRAINING", 503],
    ["NO_SIP_LISTENER", 409],
    ["UNAVAILABLE", 503],
    ["INTERNAL", 500],
  ])("%s is HTTP %i", (code, status) => {
    expect(httpStatusOf(code)).toBe(status);
  });
});
