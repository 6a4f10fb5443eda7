import { SiprecBodyError } from "./errors.ts";
import { parseMediaType } from "./media-type.ts";
import { type BodyPart, splitMultipart } from "./multipart.ts";

/** The parts of a recording-session request body the SRS uses (RFC 7866 §9). */
export interface RecordingBody {
  /** The `application/sdp` part, exactly as received (line endings untouched); `""` if none. */
  sdp: string;
  /** The metadata part and its media type (`application/rs-metadata+xml` or `application/rs-metadata`). */
  metadata?: { xml: string; contentType: string };
  /** Media types of parts we skipped, e.g. `application/gtd`. */
  ignoredParts: string[];
}

const SDP_TYPE = "application/sdp";
const METADATA_TYPES: ReadonlySet<string> = new Set([
  "application/rs-metadata+xml",
  "application/rs-metadata",
]);
const utf8 = new TextDecoder("utf-8");

/**
 * Picks the SDP and the RFC 7865 metadata out of an INVITE/re-INVITE/UPDATE/BYE body (RFC 7866 §9).
 *
 * Accepts `multipart/*` (RFC 2046 §5.1: boundary quoted or not, parameters in any order or case,
 * CRLF or bare LF, preamble/epilogue, part headers such as `Content-Disposition`) with the SDP and
 * metadata parts in any order and extra parts ignored (Cisco `application/gtd`); a lone
 * `application/sdp` (Cisco NBR, SDP-only re-INVITEs); a lone metadata part (Avaya metadata-only
 * UPDATE, then `sdp` is `""`). An empty body gives `{ sdp: "" }`: whether that is acceptable is the
 * SRS's decision. A body without `Content-Type` is taken as SDP when it starts with `v=`.
 *
 * @param contentType - the request's `Content-Type` header value, if any.
 * @param body - the request body bytes.
 * @throws SiprecBodyError `SIPREC_NO_BOUNDARY` (400), `SIPREC_BAD_MULTIPART` (400), `SIPREC_NO_SDP` (415).
 */
export function splitRecordingBody(contentType: string | undefined, body: Uint8Array): RecordingBody {
  if (body.length === 0) return { sdp: "", ignoredParts: [] };
  if (contentType === undefined || contentType.trim() === "") return fromUntypedBody(body);
  const mediaType = parseMediaType(contentType);
  if (!mediaType.type.startsWith("multipart/")) return fromSinglePart(mediaType.type, body);
  const boundary = mediaType.params.get("boundary");
  if (!boundary) {
    throw new SiprecBodyError("SIPREC_NO_BOUNDARY", 400, `${mediaType.type} without a boundary parameter`);
  }
  return fromParts(splitMultipart(body, boundary));
}

function fromUntypedBody(body: Uint8Array): RecordingBody {
  const text = utf8.decode(body);
  if (text.trimStart().startsWith("v=")) return { sdp: text, ignoredParts: [] };
  throw new SiprecBodyError("SIPREC_NO_SDP", 415, "body without Content-Type is not SDP");
}

function fromSinglePart(type: string, body: Uint8Array): RecordingBody {
  if (type === SDP_TYPE) return { sdp: utf8.decode(body), ignoredParts: [] };
  if (METADATA_TYPES.has(type)) {
    return { sdp: "", metadata: { xml: utf8.decode(body), contentType: type }, ignoredParts: [] };
  }
  throw new SiprecBodyError("SIPREC_NO_SDP", 415, `unsupported body type ${type || "(empty)"}`);
}

function fromParts(parts: BodyPart[]): RecordingBody {
  const result: RecordingBody = { sdp: "", ignoredParts: [] };
  let sdpFound = false;
  for (const part of parts) {
    const type = parseMediaType(part.headers.get("content-type") ?? "text/plain").type;
    if (type === SDP_TYPE && !sdpFound) {
      result.sdp = utf8.decode(part.content);
      sdpFound = true;
    } else if (METADATA_TYPES.has(type) && !result.metadata) {
      result.metadata = { xml: utf8.decode(part.content), contentType: type };
    } else {
      result.ignoredParts.push(type);
    }
  }
  if (!sdpFound && !result.metadata) {
    const seen = result.ignoredParts.join(", ") || "none";
    throw new SiprecBodyError(
      "SIPREC_NO_SDP",
      415,
      `no application/sdp or rs-metadata part (parts: ${seen})`,
    );
  }
  return result;
}

/**
 * Builds the `multipart/mixed` body an SRC sends (RFC 7866 §9): the SDP part
 * (`Content-Disposition: session`) then the metadata part (`application/rs-metadata+xml`,
 * `Content-Disposition: recording-session`), CRLF line endings. Each part's text is written as given,
 * so `splitRecordingBody` returns it unchanged.
 *
 * @param boundary - the boundary token; a random-looking default is derived from the content when omitted.
 * @returns the `Content-Type` header value (with the boundary) and the body text.
 * @throws RangeError when the given boundary occurs inside the SDP or the metadata.
 */
export function buildRecordingBody(
  sdp: string,
  metadataXml: string,
  boundary = defaultBoundary(sdp, metadataXml),
): { contentType: string; body: string } {
  if (sdp.includes(`--${boundary}`) || metadataXml.includes(`--${boundary}`)) {
    throw new RangeError(`boundary "${boundary}" occurs inside a body part`);
  }
  const body = [
    `--${boundary}`,
    "Content-Type: application/sdp",
    "Content-Disposition: session;handling=required",
    "",
    sdp,
    `--${boundary}`,
    "Content-Type: application/rs-metadata+xml",
    "Content-Disposition: recording-session",
    "",
    metadataXml,
    `--${boundary}--`,
    "",
  ].join("\r\n");
  return { contentType: `multipart/mixed;boundary=${boundary}`, body };
}

/** A boundary that cannot occur in the parts: a hash of their text (RFC 2046 §5.1.1 asks for that). */
function defaultBoundary(sdp: string, metadataXml: string): string {
  return `srs-boundary-${Bun.hash(sdp + metadataXml).toString(16)}`;
}
