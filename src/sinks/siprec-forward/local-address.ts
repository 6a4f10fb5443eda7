import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

/** Whether `address` is the IPv4 or IPv6 wildcard (`0.0.0.0`, `::`). */
export function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "[::]";
}

/**
 * The local address the OS routes towards `remote`: what our SDP must advertise when the RTP senders
 * bind a wildcard address (RFC 8866 §5.7: `c=` is where the media comes from and goes to). Found by
 * connecting a UDP socket, which picks the route and sends nothing; the loopback address when there
 * is no route.
 */
export function localAddressToward(remote: string): Promise<string> {
  const v6 = isIPv6(remote);
  const loopback = v6 ? "::1" : "127.0.0.1";
  const socket = createSocket(v6 ? "udp6" : "udp4");
  return new Promise((resolve) => {
    const finish = (address: string): void => {
      socket.close();
      resolve(address);
    };
    socket.once("error", () => finish(loopback));
    socket.connect(9, remote, () => {
      let address = loopback;
      try {
        address = socket.address().address;
      } catch {
        // No local address: keep the loopback one.
      }
      finish(address);
    });
  });
}
