import { SrsError } from "../lib/index.ts";

/** A capture file could not be created, written or removed (`CAPTURE_IO`); the `cause` holds the OS error. */
export class CaptureError extends SrsError {
  readonly code = "CAPTURE_IO";

  constructor(
    message: string,
    /** The capture file or folder concerned. */
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
