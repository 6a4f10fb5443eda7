import { SrsError } from "../lib/index.ts";

/** Stable codes of {@link MediaError}. */
export type MediaErrorCode = "MEDIA_BAD_PORT_RANGE" | "MEDIA_BIND" | "MEDIA_PORTS_EXHAUSTED";

/**
 * A media-layer failure with a stable `code`: `MEDIA_BAD_PORT_RANGE` (invalid `media.port_range`),
 * `MEDIA_BIND` (an RTP/RTCP port could not be bound; `port` says which), `MEDIA_PORTS_EXHAUSTED`
 * (see {@link MediaPortsExhaustedError}).
 */
export class MediaError extends SrsError {
  /** Stable identifier of the failure. */
  readonly code: MediaErrorCode;
  /** The UDP port concerned, when there is one (`MEDIA_BIND`). */
  readonly port: number | undefined;

  constructor(code: MediaErrorCode, message: string, options?: { port?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.port = options?.port;
  }
}

/**
 * Every RTP port of the pool is in use (`MEDIA_PORTS_EXHAUSTED`): the SRS answers new INVITEs and
 * OPTIONS with 503 (DESIGN.md §2).
 */
export class MediaPortsExhaustedError extends MediaError {
  /** Number of RTP ports the pool holds. */
  readonly capacity: number;

  constructor(capacity: number) {
    super("MEDIA_PORTS_EXHAUSTED", `all ${capacity} RTP ports of the pool are in use`);
    this.capacity = capacity;
  }
}
