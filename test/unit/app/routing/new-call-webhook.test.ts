import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { askNewCallWebhook, type NewCallWebhookOptions } from "../../../../src/app/routing/index.ts";
import { configuredSinks, notice, recordingLogger } from "./routing-fixtures.ts";

const token = "Bearer s3cr3t-webhook-token";

/** What the webhook received: method, headers and the parsed JSON body. */
interface Received {
  method: string;
  headers: Headers;
  body: unknown;
}

describe("new-call webhook", () => {
  let server: ReturnType<typeof Bun.serve>;
  let answer: () => Response | Promise<Response>;
  let received: Received[];
  let release: (() => void)[];
  let log: ReturnType<typeof recordingLogger>;

  beforeAll(() => {
    server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: async (request) => {
        received.push({ method: request.method, headers: request.headers, body: await request.json() });
        return answer();
      },
    });
  });

  afterAll(async () => {
    await server.stop(true);
  });

  beforeEach(() => {
    received = [];
    release = [];
    log = recordingLogger();
  });

  afterEach(() => {
    for (const finish of release) finish();
  });

  const options = (overrides: Partial<NewCallWebhookOptions> = {}): NewCallWebhookOptions => ({
    url: `http://127.0.0.1:${server.port}/new-call`,
    timeoutMs: 2_000,
    headers: { Authorization: token, "X-Appliance": "edge-test" },
    configuredSinks,
    logger: log.logger,
    ...overrides,
  });

  const replyJson = (body: unknown, status = 200) => {
    answer = () => Response.json(body, { status });
  };

  /** The `code`s of the log lines written so far, with their level. */
  const codes = () => log.lines.filter((line) => "code" in line).map((line) => `${line.level} ${line.code}`);

  it("POSTs the call's notice as JSON with the configured headers", async () => {
    replyJson({ startStream: { sink: "ai" } });
    await askNewCallWebhook(options(), notice);
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request?.method).toBe("POST");
    expect(request?.headers.get("content-type")).toBe("application/json");
    expect(request?.headers.get("authorization")).toBe(token);
    expect(request?.headers.get("x-appliance")).toBe("edge-test");
    expect(request?.body).toEqual(notice);
  });

  it("keeps the JSON content type even when the configured headers name another", async () => {
    replyJson({ startStream: [] });
    await askNewCallWebhook(options({ headers: { "Content-Type": "text/plain" } }), notice);
    expect(received[0]?.headers.get("content-type")).toBe("application/json");
  });

  it("returns the sinks the webhook chose, with their per-call overrides", async () => {
    replyJson({
      startStream: [
        { sink: "ai", mode: "per-participant", format: "L16/8000", headers: { "X-Call-Token": "abc" } },
        { sink: "partner", url: "wss://partner.example/stream", protocol: "easp" },
      ],
    });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({
      by: "webhook",
      sinks: [
        { sink: "ai", mode: "per-participant", format: "L16/8000", headers: { "X-Call-Token": "abc" } },
        { sink: "partner", url: "wss://partner.example/stream", protocol: "easp" },
      ],
    });
  });

  it("accepts a single startStream object and ignores keys it does not know", async () => {
    replyJson({ startStream: { sink: "qa", priority: 5 }, note: "from the CRM" });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({
      by: "webhook",
      sinks: [{ sink: "qa" }],
    });
  });

  it("records only when startStream is an empty list", async () => {
    replyJson({ startStream: [] });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({ by: "webhook", sinks: [] });
  });

  it("leaves the call to the rules when the reply is an empty object", async () => {
    replyJson({});
    await expect(askNewCallWebhook(options(), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["info WEBHOOK_NO_DECISION"]);
  });

  it("leaves the call to the rules when the reply has no body", async () => {
    answer = () => new Response(null, { status: 204 });
    await expect(askNewCallWebhook(options(), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["info WEBHOOK_NO_DECISION"]);
  });

  it("leaves the call to the rules when the webhook does not answer in time", async () => {
    answer = () =>
      new Promise<Response>((resolve) => {
        release.push(() => resolve(Response.json({ startStream: [] })));
      });
    await expect(askNewCallWebhook(options({ timeoutMs: 100 }), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_TIMEOUT"]);
    expect(log.lines[0]).toMatchObject({ url: options().url, timeoutMs: 100 });
  });

  it("leaves the call to the rules when the reply body stalls past the timeout", async () => {
    answer = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"startStream": ['));
            release.push(() => controller.close());
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    await expect(askNewCallWebhook(options({ timeoutMs: 100 }), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_TIMEOUT"]);
  });

  it("leaves the call to the rules when the webhook answers 500", async () => {
    replyJson({ startStream: { sink: "ai" } }, 500);
    await expect(askNewCallWebhook(options(), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_FAILED"]);
    expect(log.lines[0]).toMatchObject({ url: options().url, status: 500 });
  });

  it("leaves the call to the rules when the webhook cannot be reached", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}/new-call`;
    await closed.stop(true);
    await expect(askNewCallWebhook(options({ url }), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_FAILED"]);
    expect(log.lines[0]).toMatchObject({ url });
  });

  it("leaves the call to the rules when the reply is not JSON", async () => {
    answer = () => new Response("<html>OK</html>", { headers: { "content-type": "text/html" } });
    await expect(askNewCallWebhook(options(), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_BAD_REPLY"]);
  });

  it.each([
    ["a startStream without a sink", { startStream: [{ mode: "interleaved" }] }, "startStream.0.sink"],
    ["an unknown mode", { startStream: { sink: "ai", mode: "stereo" } }, "startStream.0.mode"],
    [
      "a url that is not a WebSocket URL",
      { startStream: { sink: "x", url: "http://x" } },
      "startStream.0.url",
    ],
    ["a list instead of an object", [{ sink: "ai" }], "(reply)"],
  ])("leaves the call to the rules when the reply has %s, naming the field", async (_what, body, path) => {
    replyJson(body);
    await expect(askNewCallWebhook(options(), notice)).resolves.toBeUndefined();
    expect(codes()).toEqual(["warn WEBHOOK_BAD_REPLY"]);
    expect(String(log.lines[0]?.issues)).toContain(path);
  });

  it("forwards as the reply's startSIPRecForward objects say, beside the streams", async () => {
    replyJson({
      startStream: { sink: "ai" },
      startSIPRecForward: [
        { sink: "adhoc", uri: "sips:recorder@srs.example", codec: "PCMA/8000", reference: { ticket: 7 } },
        { sink: "nowhere" },
      ],
    });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({
      by: "webhook",
      sinks: [{ sink: "ai" }],
      forwards: [
        { sink: "adhoc", uri: "sips:recorder@srs.example", codec: "PCMA/8000", reference: { ticket: 7 } },
      ],
      ignored: ['startSIPRecForward sink "nowhere": not configured and no url or uri given'],
    });
    expect(codes()).toEqual(["warn WEBHOOK_UNKNOWN_SINK"]);
  });

  it("decides the call with a reply that only asks for SIPREC forwarding: no streams", async () => {
    replyJson({ startSIPRecForward: { sink: "adhoc", uri: "sip:recorder@srs.example" } });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({
      by: "webhook",
      sinks: [],
      forwards: [{ sink: "adhoc", uri: "sip:recorder@srs.example" }],
    });
  });

  it("ignores a sink that is not configured and has no url, and a sink named twice", async () => {
    replyJson({
      startStream: [{ sink: "transcripts" }, { sink: "qa" }, { sink: "qa", format: "PCMA/8000" }],
    });
    await expect(askNewCallWebhook(options(), notice)).resolves.toEqual({
      by: "webhook",
      sinks: [{ sink: "qa" }],
      ignored: [
        'startStream sink "transcripts": not configured and no url or uri given',
        'startStream sink "qa": named twice',
      ],
    });
    expect(codes()).toEqual(["warn WEBHOOK_UNKNOWN_SINK", "warn WEBHOOK_DUPLICATE_SINK"]);
  });

  it("never writes the configured headers to the log", async () => {
    answer = () => new Response("not json", { status: 200 });
    await askNewCallWebhook(options(), notice);
    replyJson({}, 503);
    await askNewCallWebhook(options(), notice);
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}/new-call`;
    await closed.stop(true);
    await askNewCallWebhook(options({ url }), notice);
    expect(log.lines.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(log.lines)).not.toContain("s3cr3t");
  });
});
