import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

/**
 * The local IP address the OS would send from towards `remote` (a connected UDP socket that sends
 * nothing: `connect()` only picks the route). Used for the Via sent-by and Contact of requests sent
 * from a wildcard (`0.0.0.0` / `::`) listener (RFC 3261 §18.1.1: sent-by is an address the peer can
 * reach us at). Falls back to the loopback address when there is no route.
 */
export function localAddressTowards(remote: string): Promise<string> {
  const v6 = isIPv6(remote);
  const fallback = v6 ? "::1" : "127.0.0.1";
  const socket = createSocket(v6 ? "udp6" : "udp4");
  return new Promise<string>((resolve) => {
    const done = (address: string): void => {
      socket.close();
      resolve(address);
    };
    socket.once("error", () => done(fallback));
    socket.connect(9, remote, () => {
      try {
        done(socket.address().address);
      } catch {
        done(fallback);
      }
    });
  });
}
