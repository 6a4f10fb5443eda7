import { afterEach, describe, expect, it } from "vitest";
import {
  type HttpCommandExecutor,
  type HttpCommandReply,
  maxCommandBodyBytes,
  type StatusServer,
  type StatusServerOptions,
  startStatusServer,
} from "../../../src/web/index.ts";
import { sampleSnapshot } from "./sample-snapshot.ts";

const token = "c0mmand-token";
const bearer = { authorization: `Bearer ${token}` };
const names = ["startStream", "stopStream", "getStatus", "drain"] as const;
const servers: StatusServer[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** An executor that records what it runs and answers like the command model would. */
class RecordingExecutor implements HttpCommandExecutor {
  readonly names: readonly string[] = names;
  readonly runs: { name: string; params: unknown }[] = [];

  constructor(private readonly answer: (name: string, params: unknown) => Promise<HttpCommandReply>) {}

  execute(name: string, params: unknown): Promise<HttpCommandReply> {
    this.runs.push({ name, params });
    return this.answer(name, params);
  }
}

function knownOnly(): RecordingExecutor {
  return new RecordingExecutor(async (name, params) =>
    names.includes(name as (typeof names)[number])
      ? { status: 200, body: { ok: true, result: { ran: name, params } } }
      : {
          status: 404,
          body: {
            ok: false,
            error: { code: "UNKNOWN_COMMAND", message: `no command ${name}`, known: names },
          },
        },
  );
}

async function serve(
  commands: HttpCommandExecutor | undefined,
  extra: Partial<StatusServerOptions> = {},
): Promise<StatusServer> {
  const server = await startStatusServer({
    listen: "127.0.0.1:0",
    snapshot: () => sampleSnapshot(),
    auth: { token },
    ...(commands ? { commands } : {}),
    ...extra,
  });
  servers.push(server);
  return server;
}

function post(
  server: StatusServer,
  name: string,
  body?: RequestInit["body"],
  headers: Record<string, string> = bearer,
) {
  return fetch(`${server.url}/api/commands/${name}`, {
    method: "POST",
    headers,
    ...(body === undefined ? {} : { body }),
  });
}

interface ErrorReply {
  ok: false;
  error: { code: string; message: string; field?: string; known?: string[] };
}

describe("commands API", () => {
  it("runs the named command with the JSON body and answers the executor's reply", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const params = { callId: "0195a1b2-0000-7000-8000-00000000beef", sink: "ai", url: "wss://x.example/s" };
    const res = await post(server, "startStream", JSON.stringify(params), {
      ...bearer,
      "content-type": "application/json",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ ok: true, result: { ran: "startStream", params } });
    expect(executor.runs).toEqual([{ name: "startStream", params }]);
  });

  it("passes the executor's refusal status and error through unchanged", async () => {
    const refusal = { ok: false, error: { code: "ALREADY_STARTED", message: "sink ai already streams" } };
    const executor = new RecordingExecutor(async () => ({ status: 409, body: refusal }));
    const server = await serve(executor);
    const res = await post(server, "startStream", '{"callId":"x","sink":"ai"}');
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual(refusal);
  });

  it("runs a command with an empty body as {}", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    expect((await post(server, "drain")).status).toBe(200);
    expect((await post(server, "getStatus", "  \n")).status).toBe(200);
    expect(executor.runs).toEqual([
      { name: "drain", params: {} },
      { name: "getStatus", params: {} },
    ]);
  });

  it("refuses a body that is not JSON with 400 naming (body), without running anything", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const res = await post(server, "stopStream", '{"callId": "x",');
    expect(res.status).toBe(400);
    const reply = (await res.json()) as ErrorReply;
    expect(reply.ok).toBe(false);
    expect(reply.error.code).toBe("INVALID_ARGUMENT");
    expect(reply.error.field).toBe("(body)");
    expect(reply.error.message).toContain("JSON");
    expect(executor.runs).toEqual([]);
  });

  it("refuses a body that is not UTF-8 with 400 naming (body)", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const res = await post(server, "stopStream", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorReply).error.field).toBe("(body)");
    expect(executor.runs).toEqual([]);
  });

  it("refuses a body over 64 KiB with 413, without running anything", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const big = JSON.stringify({ pad: "x".repeat(maxCommandBodyBytes) });
    const res = await post(server, "startStream", big);
    expect(res.status).toBe(413);
    const reply = (await res.json()) as ErrorReply;
    expect(reply.error.code).toBe("INVALID_ARGUMENT");
    expect(reply.error.field).toBe("(body)");
    expect(executor.runs).toEqual([]);
  });

  it("refuses an oversized body sent without a Content-Length (chunked) with 413", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const chunk = new TextEncoder().encode(`"${"y".repeat(16 * 1024)}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    const res = await post(server, "startStream", stream);
    expect(res.status).toBe(413);
    expect(executor.runs).toEqual([]);
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const prefix = '{"pad":"';
    const body = `${prefix}${"z".repeat(maxCommandBodyBytes - prefix.length - 2)}"}`;
    expect(body.length).toBe(maxCommandBodyBytes);
    expect((await post(server, "startStream", body)).status).toBe(200);
    expect(executor.runs).toHaveLength(1);
  });

  it("answers 405 with Allow: POST to other methods on a command", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await fetch(`${server.url}/api/commands/drain`, { method, headers: bearer });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
    }
    expect(executor.runs).toEqual([]);
  });

  it("lists the known commands at GET /api/commands", async () => {
    const server = await serve(knownOnly());
    const res = await fetch(`${server.url}/api/commands`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ commands: [...names] });
  });

  it("hands an unknown but well-formed name to the executor, which refuses it with the list", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const res = await post(server, "rebootNow", "{}");
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorReply).error.known).toEqual([...names]);
    expect(executor.runs).toEqual([{ name: "rebootNow", params: {} }]);
  });

  it("matches names exactly: a differently cased name is not the command", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    expect((await post(server, "DRAIN")).status).toBe(404);
    expect(executor.runs).toEqual([{ name: "DRAIN", params: {} }]);
  });

  it("refuses a malformed name itself with 404 UNKNOWN_COMMAND and the list", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    for (const name of ["drain-now", "drain.json", "%64rain", "", "drain/extra"]) {
      const res = await post(server, name);
      expect(res.status).toBe(404);
      const reply = (await res.json()) as ErrorReply;
      expect(reply.error.code).toBe("UNKNOWN_COMMAND");
      expect(reply.error.known).toEqual([...names]);
    }
    expect(executor.runs).toEqual([]);
  });

  it("answers 500 INTERNAL when the executor fails, and keeps serving", async () => {
    const executor = new RecordingExecutor(async () => {
      throw new Error("database is locked");
    });
    const server = await serve(executor);
    const res = await post(server, "drain");
    expect(res.status).toBe(500);
    const reply = (await res.json()) as ErrorReply;
    expect(reply).toMatchObject({ ok: false, error: { code: "INTERNAL" } });
    expect(reply.error.message).not.toContain("database is locked");
    expect((await fetch(`${server.url}/api/commands`, { headers: bearer })).status).toBe(200);
  });

  it("refuses a cross-site browser request with 403, without running anything", async () => {
    const executor = knownOnly();
    const server = await serve(executor);
    const fromElsewhere = await post(server, "drain", undefined, {
      ...bearer,
      origin: "https://evil.example",
    });
    expect(fromElsewhere.status).toBe(403);
    const crossSite = await post(server, "drain", undefined, { ...bearer, "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    expect(executor.runs).toEqual([]);
    const samePage = await post(server, "drain", undefined, { ...bearer, origin: server.url });
    expect(samePage.status).toBe(200);
  });

  it("answers 404 for every commands path when no executor is configured", async () => {
    const server = await serve(undefined);
    expect((await fetch(`${server.url}/api/commands`, { headers: bearer })).status).toBe(404);
    expect((await post(server, "drain")).status).toBe(404);
  });

  describe("with authentication", () => {
    const basic = { username: "tech", password: "rack-42" };
    const basicHeader = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
    });

    it.each([
      ["no credentials", {}],
      ["a wrong bearer token", { authorization: "Bearer c0mmand-tokem" }],
      ["a wrong basic password", basicHeader("tech", "rack-43")],
    ])("answers 401 with %s and never runs the command", async (_what, headers) => {
      const executor = knownOnly();
      const server = await serve(executor, { auth: { token, basic } });
      const res = await post(server, "drain", "{}", headers);
      expect(res.status).toBe(401);
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect((await fetch(`${server.url}/api/commands`, { headers })).status).toBe(401);
      expect(executor.runs).toEqual([]);
    });

    it("runs the command with a bearer token or basic credentials", async () => {
      const executor = knownOnly();
      const server = await serve(executor, { auth: { token, basic } });
      expect((await post(server, "drain", "{}", bearer)).status).toBe(200);
      expect((await post(server, "getStatus", "{}", basicHeader("tech", "rack-42"))).status).toBe(200);
      expect(executor.runs.map((r) => r.name)).toEqual(["drain", "getStatus"]);
    });
  });
});
