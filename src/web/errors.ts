import { SrsError } from "../lib/index.ts";

/** Thrown for a `web.listen` value that is not `host:port` with a port in 0–65535. */
export class ListenAddressError extends SrsError {
  readonly code = "WEB_BAD_LISTEN";
}

/** Thrown when the status server cannot bind its address (in use, not local, no permission). */
export class ListenFailedError extends SrsError {
  readonly code = "WEB_LISTEN_FAILED";
}
