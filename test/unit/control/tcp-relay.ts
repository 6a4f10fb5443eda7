import { createConnection, createServer, type Socket } from "node:net";

/**
 * A TCP relay on 127.0.0.1 in front of a broker, so a test can cut a client's connection
 * abruptly (no MQTT DISCONNECT, as when a cable is pulled) and hold reconnects off.
 */
export interface TcpRelay {
  /** Port the relay listens on. */
  readonly port: number;
  /** Destroys every relayed connection at once, both sides. */
  cutAll(): void;
  /** While true, new connections are accepted and closed at once (the broker looks down). */
  refuse(on: boolean): void;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/** Starts a relay from a free 127.0.0.1 port to `127.0.0.1:targetPort`. */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const cutAll = (): void => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    cutAll,
    refuse: (on) => {
      refusing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutAll();
        server.close(() => resolve());
      }),
  };
}
