import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import {
  ListenAddressError,
  ListenFailedError,
  type StatusServer,
  type StatusServerOptions,
  type StatusSnapshot,
  startStatusServer,
} from "../../../src/web/index.ts";
import { liveCall, sampleSnapshot } from "./sample-snapshot.ts";

const servers: StatusServer[] = [];

async function serve(
  snapshot: () => StatusSnapshot,
  extra: Partial<StatusServerOptions> = {},
): Promise<StatusServer> {
  const server = await startStatusServer({ listen: "127.0.0.1:0", snapshot, ...extra });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

interface SseEvent {
  event: string;
  data: string;
}

/** Reads Server-Sent Events from a streaming response body. */
function sseReader(body: ReadableStream<Uint8Array>): { next(): Promise<SseEvent | undefined> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    async next() {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split("\n");
          const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
          if (data.length === 0) continue;
          const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
          return { event, data: data.join("\n") };
        }
        const chunk = await reader.read();
        if (chunk.done) return undefined;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
  };
}

describe("status server", () => {
  it("GET /api/status returns the snapshot as JSON", async () => {
    const snapshot = sampleSnapshot();
    const server = await serve(() => snapshot);
    const res = await fetch(`${server.url}/api/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual(snapshot);
  });

  it("GET / shows health, the live call's ids, participants, streams and sinks", async () => {
    const server = await serve(() => sampleSnapshot());
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const page = await res.text();
    for (const expected of [
      "edge-01",
      "0195a1b2-0000-7000-8000-00000000beef",
      "f81d4fae-7dec@sbc.example",
      "00001002161234567890",
      "Alice Agent",
      "sip:+15551230000@carrier.example",
      "PCMU",
      "PCMA",
      "udp:127.0.0.1:5060",
      "accepting",
      "connected",
      "sip_invites_total",
      "<meter",
    ]) {
      expect(page).toContain(expected);
    }
    expect(page).toContain("3 (0.2 %)");
    expect(page).not.toMatch(/https?:\/\//);
  });

  it("escapes a <script> injected through a correlation id, a name and an AOR", async () => {
    const hostile = liveCall({
      correlation: { ucid: "<script>alert('ucid')</script>" },
      participants: [
        { participantId: "p1", aor: 'sip:"><img src=x onerror=alert(1)>@x', name: "A&B", role: "agent" },
      ],
    });
    const server = await serve(() => sampleSnapshot([hostile]));
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain("&lt;script&gt;alert(&#39;ucid&#39;)&lt;/script&gt;");
    expect(page).toContain("sip:&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@x");
    expect(page).toContain("A&amp;B");
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img");
    expect(page.match(/<script>/g)).toHaveLength(1);
  });

  it("allows exactly its own inline script and style through the Content-Security-Policy", async () => {
    const server = await serve(() => sampleSnapshot());
    const res = await fetch(`${server.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const page = await res.text();
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? "";
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? "";
    const hash = (s: string): string => createHash("sha256").update(s).digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${hash(style)}'`);
    expect(csp).toContain("default-src 'none'");
  });

  it("the health banner flags refused calls, a silent SIP side and a lost broker", async () => {
    const healthy = sampleSnapshot();
    const sick: StatusSnapshot = {
      ...healthy,
      health: {
        ...healthy.health,
        sip: { listening: [] },
        mqtt: { configured: true, connected: false },
        accepting: false,
      },
    };
    const server = await serve(() => sick);
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain("REFUSED (503)");
    expect(page).toContain("NOT LISTENING");
    expect(page).toContain("DISCONNECTED");
    expect(page.match(/class="tile tile-bad"/g)).toHaveLength(3);
  });

  it("/healthz answers 200 ok while accepting calls and 503 when not, without credentials", async () => {
    let snapshot = sampleSnapshot();
    const server = await serve(() => snapshot, { auth: { token: "s3cret" } });
    const ok = await fetch(`${server.url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("ok");
    snapshot = { ...snapshot, health: { ...snapshot.health, accepting: false } };
    expect((await fetch(`${server.url}/healthz`)).status).toBe(503);
  });

  it("answers 404 for unknown paths and 405 for methods other than GET", async () => {
    const server = await serve(() => sampleSnapshot());
    expect((await fetch(`${server.url}/admin`)).status).toBe(404);
    const post = await fetch(`${server.url}/api/status`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  describe("with authentication", () => {
    const basic = (user: string, password: string): string =>
      `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    const options = { auth: { token: "t0ken-123", basic: { username: "tech", password: "rack-42" } } };

    it("answers 401 with Basic and Bearer challenges without credentials", async () => {
      const server = await serve(() => sampleSnapshot(), options);
      const res = await fetch(`${server.url}/api/status`);
      expect(res.status).toBe(401);
      const challenge = res.headers.get("www-authenticate") ?? "";
      expect(challenge).toContain('Basic realm="siprec-edge"');
      expect(challenge).toContain('Bearer realm="siprec-edge"');
      expect(await res.text()).not.toContain("edge-01");
    });

    it.each([
      ["the right bearer token", 200, "Bearer t0ken-123"],
      ["a wrong bearer token", 401, "Bearer t0ken-124"],
      ["a bearer token prefix", 401, "Bearer t0ken"],
      ["the right basic user and password", 200, basic("tech", "rack-42")],
      ["a wrong basic password", 401, basic("tech", "rack-43")],
      ["a wrong basic user", 401, basic("admin", "rack-42")],
      ["the token as basic password (browsers)", 200, basic("anyone", "t0ken-123")],
      ["an unknown scheme", 401, "Digest username=tech"],
    ])("%s → %i", async (_name, status, header) => {
      const server = await serve(() => sampleSnapshot(), options);
      const res = await fetch(`${server.url}/api/status`, { headers: { authorization: header } });
      expect(res.status).toBe(status);
    });

    it("protects the page and the event stream as well", async () => {
      const server = await serve(() => sampleSnapshot(), { auth: { token: "t0ken-123" } });
      expect((await fetch(`${server.url}/`)).status).toBe(401);
      expect((await fetch(`${server.url}/api/events`)).status).toBe(401);
      expect((await fetch(`${server.url}/nope`)).status).toBe(401);
    });
  });

  it("/api/events pushes the snapshot at once and an updated one after a change", async () => {
    let snapshot = sampleSnapshot();
    const server = await serve(() => snapshot, { pushIntervalMs: 50 });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/events`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = sseReader(res.body!);

    const first = await events.next();
    expect(first?.event).toBe("snapshot");
    expect(JSON.parse(first?.data ?? "{}").calls.live).toHaveLength(1);
    const view = await events.next();
    expect(view?.event).toBe("view");
    expect(JSON.parse(view?.data ?? "{}").live).toContain("0195a1b2-0000-7000-8000-00000000beef");

    snapshot = sampleSnapshot([]);
    let update: StatusSnapshot | undefined;
    while (!update) {
      const event = await events.next();
      if (event?.event !== "snapshot") continue;
      const parsed = JSON.parse(event.data) as StatusSnapshot;
      if (parsed.calls.live.length === 0) update = parsed;
    }
    expect(update.calls.recent).toHaveLength(1);
    controller.abort();
  });

  it("/api/events pushes the live streams' meter positions as a light levels event, and none while no stream is live", async () => {
    let levels = [
      { streamId: 7, level: 32767 },
      { streamId: 8, level: 0 },
    ];
    const server = await serve(() => sampleSnapshot(), { levels: () => levels, levelIntervalMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/events`, { signal: controller.signal });
    const events = sseReader(res.body!);
    let levelEvent: SseEvent | undefined;
    while (levelEvent?.event !== "levels") levelEvent = await events.next();
    expect(JSON.parse(levelEvent.data)).toEqual({ "7": 100, "8": 0 });

    levels = [{ streamId: 8, level: 1036 }];
    let moved: Record<string, number> | undefined;
    while (!moved) {
      const event = await events.next();
      if (event?.event === "levels" && JSON.parse(event.data)["8"] > 0) moved = JSON.parse(event.data);
    }
    expect(moved).toEqual({ "8": 50 });
    controller.abort();
  });

  it("close() ends open event streams", async () => {
    const server = await serve(() => sampleSnapshot(), { pushIntervalMs: 50 });
    const res = await fetch(`${server.url}/api/events`);
    const events = sseReader(res.body!);
    expect((await events.next())?.event).toBe("snapshot");
    await server.close();
    let last: SseEvent | undefined = { event: "", data: "" };
    while (last) last = await events.next().catch(() => undefined);
    expect(last).toBeUndefined();
  });

  it("refuses a listen value that is not host:port", async () => {
    await expect(startStatusServer({ listen: "8080", snapshot: sampleSnapshot })).rejects.toBeInstanceOf(
      ListenAddressError,
    );
    await expect(
      startStatusServer({ listen: "127.0.0.1:70000", snapshot: sampleSnapshot }),
    ).rejects.toMatchObject({
      code: "WEB_BAD_LISTEN",
    });
  });

  it("reports a port that is already taken as WEB_LISTEN_FAILED", async () => {
    const first = await serve(() => sampleSnapshot());
    await expect(
      startStatusServer({ listen: `127.0.0.1:${first.port}`, snapshot: sampleSnapshot }),
    ).rejects.toBeInstanceOf(ListenFailedError);
  });
});
