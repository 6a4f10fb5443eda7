import { createConnection, createServer, type Server, type Socket } from "node:net";

/** Options of {@link startTcpProxy}. */
export interface TcpProxyOptions {
  /** Where every accepted connection is forwarded (e.g. the upstream EASP receiver). */
  target: { host: string; port: number };
  /** Port to listen on, on 127.0.0.1. @default a free port */
  listenPort?: number;
}

/** Counters of a {@link TcpProxy} since it started. */
export interface TcpProxyStats {
  /** Bytes forwarded from clients to the target (appliance → receiver). */
  bytesToTarget: number;
  /** Bytes forwarded from the target to clients (receiver → appliance). */
  bytesToClient: number;
  /** Connections accepted. */
  connectionsAccepted: number;
  /** Connections open now (client side). */
  connectionsOpen: number;
  /** Connections the proxy destroyed in {@link TcpProxy.cut}. */
  connectionsCut: number;
}

/** What a {@link TcpProxy} does now. */
export type TcpProxyState = "forwarding" | "stalled" | "cut" | "closed";

/**
 * A TCP proxy on 127.0.0.1 that forwards byte streams to one target and simulates WAN failures
 * between a client (the appliance) and the target (the upstream receiver).
 */
export interface TcpProxy {
  /** The port it listens on (kept across {@link cut} and {@link restore}). */
  readonly port: number;
  /** Current state. */
  state(): TcpProxyState;
  /**
   * WAN outage: destroys every connection (both sides) and stops listening, so new connections are
   * refused (ECONNREFUSED) until {@link restore}. Ends a stall.
   */
  cut(): Promise<void>;
  /**
   * Ends an outage: listens on the same port again.
   * @throws Error when the port was taken meanwhile (EADDRINUSE).
   */
  restore(): Promise<void>;
  /**
   * Stops reading from clients (appliance → receiver), for open and new connections, so TCP
   * back-pressure builds up in the client while every connection stays open; the target → client
   * direction keeps flowing.
   */
  stall(): void;
  /** Reads from clients again; everything they sent meanwhile is forwarded in order. */
  unstall(): void;
  /** Counters since start. */
  stats(): TcpProxyStats;
  /** Destroys every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

/** One proxied connection: the client's socket and ours to the target. */
interface Pair {
  client: Socket;
  upstream: Socket;
  /** The target's socket has not drained what we wrote to it. */
  upstreamFull: boolean;
}

/**
 * Starts a {@link TcpProxy} on 127.0.0.1 and resolves once it listens. Each accepted connection
 * gets its own connection to the target; if the target refuses it, the client's connection is
 * destroyed. Back-pressure is passed through in both directions (a side that does not drain pauses
 * reading on the other side), so the proxy never buffers more than one chunk per direction.
 * @throws Error when it cannot listen (e.g. `listenPort` in use).
 */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const counters: TcpProxyStats = {
    bytesToTarget: 0,
    bytesToClient: 0,
    connectionsAccepted: 0,
    connectionsOpen: 0,
    connectionsCut: 0,
  };
  let state: TcpProxyState = "forwarding";
  let server: Server | undefined;
  let port = options.listenPort ?? 0;

  const readClientIfAllowed = (pair: Pair): void => {
    if (state === "forwarding" && !pair.upstreamFull) pair.client.resume();
  };

  const accept = (client: Socket): void => {
    counters.connectionsAccepted += 1;
    counters.connectionsOpen += 1;
    const upstream = createConnection({ host: options.target.host, port: options.target.port });
    const pair: Pair = { client, upstream, upstreamFull: false };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    if (state === "stalled") client.pause();
    client.on("data", (chunk: Buffer) => {
      counters.bytesToTarget += chunk.length;
      if (!upstream.write(chunk)) {
        pair.upstreamFull = true;
        client.pause();
      }
    });
    upstream.on("drain", () => {
      pair.upstreamFull = false;
      readClientIfAllowed(pair);
    });
    upstream.on("data", (chunk: Buffer) => {
      counters.bytesToClient += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on("drain", () => upstream.resume());
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    const teardown = (): void => {
      if (!pairs.delete(pair)) return;
      counters.connectionsOpen -= 1;
      client.destroy();
      upstream.destroy();
    };
    client.on("close", teardown);
    upstream.on("close", teardown);
    client.on("error", teardown);
    upstream.on("error", teardown);
  };

  const listen = async (): Promise<void> => {
    const next = createServer({ pauseOnConnect: false }, accept);
    await new Promise<void>((resolve, reject) => {
      next.once("error", reject);
      next.listen(port, "127.0.0.1", () => {
        next.off("error", reject);
        resolve();
      });
    });
    const address = next.address();
    port = typeof address === "object" && address ? address.port : port;
    server = next;
  };

  const stopListening = async (): Promise<void> => {
    const current = server;
    server = undefined;
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };

  const destroyAll = (): number => {
    const count = pairs.size;
    for (const pair of [...pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    return count;
  };

  await listen();

  return {
    get port() {
      return port;
    },
    state: () => state,
    async cut() {
      if (state === "closed" || state === "cut") return;
      state = "cut";
      const closing = stopListening();
      counters.connectionsCut += destroyAll();
      await closing;
    },
    async restore() {
      if (state !== "cut") return;
      await listen();
      state = "forwarding";
    },
    stall() {
      if (state !== "forwarding") return;
      state = "stalled";
      for (const pair of pairs) pair.client.pause();
    },
    unstall() {
      if (state !== "stalled") return;
      state = "forwarding";
      for (const pair of pairs) readClientIfAllowed(pair);
    },
    stats: () => ({ ...counters }),
    async close() {
      if (state === "closed") return;
      state = "closed";
      const closing = stopListening();
      destroyAll();
      await closing;
    },
  };
}
