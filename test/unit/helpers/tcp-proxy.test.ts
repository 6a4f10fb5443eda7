import type { Server } from "bun";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { until } from "../../helpers/recorded-call.ts";
import { startTcpProxy, type TcpProxy } from "../../helpers/tcp-proxy.ts";

/** A WebSocket echo server: text messages come back; binary ones are only counted. */
function startEchoServer(): { server: Server<undefined>; binaryBytes: () => number; upgrades: () => number } {
  let binaryBytes = 0;
  let upgrades = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request, srv) {
      upgrades += 1;
      return srv.upgrade(request) ? undefined : new Response("upgrade only", { status: 400 });
    },
    websocket: {
      message(ws, message) {
        if (typeof message === "string") ws.send(message);
        else binaryBytes += message.byteLength;
      },
    },
  });
  return { server, binaryBytes: () => binaryBytes, upgrades: () => upgrades };
}

/** Opens a WebSocket; resolves with it once open, or rejects when the connection fails. */
function connect(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error("connection failed"));
  });
}

/** Resolves once `value()` reads the same three times in a row, 50 ms apart. */
async function settled(value: () => number): Promise<void> {
  let last = -1;
  let same = 0;
  while (same < 3) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = value();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

function nextText(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => {
    ws.addEventListener("message", (event) => resolve(String(event.data)), { once: true });
  });
}

let echo: ReturnType<typeof startEchoServer>;
let proxy: TcpProxy;
const sockets: WebSocket[] = [];

beforeEach(async () => {
  echo = startEchoServer();
  proxy = await startTcpProxy({ target: { host: "127.0.0.1", port: echo.server.port ?? 0 } });
});

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.close();
  await proxy.close();
  await echo.server.stop(true);
});

describe("startTcpProxy", () => {
  it("carries a WebSocket conversation both ways and counts its bytes", async () => {
    const ws = await connect(proxy.port);
    sockets.push(ws);
    const reply = nextText(ws);
    ws.send("hello through the proxy");

    expect(await reply).toBe("hello through the proxy");
    const stats = proxy.stats();
    expect(stats).toMatchObject({ connectionsAccepted: 1, connectionsOpen: 1, connectionsCut: 0 });
    expect(stats.bytesToTarget).toBeGreaterThan("hello through the proxy".length);
    expect(stats.bytesToClient).toBeGreaterThan("hello through the proxy".length);
  });

  it("cut() drops open connections and refuses new ones until restore() on the same port", async () => {
    const ws = await connect(proxy.port);
    const closed = new Promise<number>((resolve) => {
      ws.onclose = (event) => resolve(event.code);
    });
    const port = proxy.port;

    await proxy.cut();

    expect(await closed).toBe(1006);
    expect(proxy.state()).toBe("cut");
    await expect(connect(port)).rejects.toThrow("connection failed");
    expect(proxy.stats()).toMatchObject({ connectionsCut: 1, connectionsOpen: 0 });

    await proxy.restore();

    expect(proxy.port).toBe(port);
    const again = await connect(port);
    sockets.push(again);
    const reply = nextText(again);
    again.send("back");
    expect(await reply).toBe("back");
  });

  it("stall() holds the client's data back so its send buffer fills, and unstall() delivers all of it in order", async () => {
    const ws = await connect(proxy.port);
    sockets.push(ws);
    const chunk = new Uint8Array(64 * 1024);
    const total = 256 * chunk.byteLength;

    proxy.stall();
    for (let i = 0; i < 256; i++) ws.send(chunk);
    const pong = nextText(ws);
    ws.send("still open?");

    // The kernel buffers absorb a few MiB; the rest stays queued in the client (back-pressure).
    await settled(() => ws.bufferedAmount);
    expect(ws.bufferedAmount).toBeGreaterThan(total / 2);
    expect(echo.binaryBytes()).toBe(0);
    expect(ws.readyState).toBe(WebSocket.OPEN);

    proxy.unstall();

    expect(await pong).toBe("still open?");
    expect(echo.binaryBytes()).toBe(total);
    expect(proxy.state()).toBe("forwarding");
  });

  it("stalls connections opened during a stall until unstall()", async () => {
    proxy.stall();
    const opening = connect(proxy.port);
    await until(() => proxy.stats().connectionsAccepted === 1, "the proxy to accept the connection");
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(echo.upgrades()).toBe(0);

    proxy.unstall();
    const ws = await opening;
    sockets.push(ws);
    expect(echo.upgrades()).toBe(1);
  });
});
