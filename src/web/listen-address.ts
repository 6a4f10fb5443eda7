import { ListenAddressError } from "./errors.ts";

/** A parsed `host:port`. */
export interface ListenAddress {
  /** Host name or IP, without IPv6 brackets. */
  host: string;
  /** Port, 0 for "any free port". */
  port: number;
}

/**
 * Parses `web.listen`: `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`.
 * @throws ListenAddressError `WEB_BAD_LISTEN` when the host is empty or the port is not 0–65535.
 */
export function parseListenAddress(listen: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65535) {
    throw new ListenAddressError(
      `web.listen ${JSON.stringify(listen)} must be host:port, e.g. 127.0.0.1:8080`,
    );
  }
  return { host, port };
}

/** Formats a host and port as a URL authority (`[::1]:8080` for IPv6). */
export function authority(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
