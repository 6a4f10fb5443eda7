import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type SipText, splitMultipart } from "./sip-text.ts";

/** One `m=` section of an SDP, as the tests read it (RFC 8866 §5.14). */
export interface SdpMedia {
  /** `audio`, `video`, … */
  kind: string;
  port: number;
  /** `RTP/AVP`, `RTP/SAVP`, … */
  proto: string;
  /** Payload types of the m-line, in order. */
  formats: number[];
  /** `a=label` (RFC 4574), or undefined. */
  label: string | undefined;
  /** `sendonly`, `recvonly`, `sendrecv` or `inactive` (the m-line's, else the session's, else sendrecv). */
  direction: string;
  /** `a=crypto` values (RFC 4568), without the `a=crypto:` prefix. */
  crypto: string[];
  /** `a=rtpmap` per payload type, e.g. 8 → `PCMA/8000`. */
  rtpmap: Record<number, string>;
  /** The `c=` address in force for the m-line. */
  address: string;
}

/** An SDP as the tests read it. */
export interface SdpText {
  /** The `o=` line's fields: username, session id, version, address. */
  origin: { username: string; sessionId: string; version: string; address: string };
  media: SdpMedia[];
}

const directions = ["sendonly", "recvonly", "sendrecv", "inactive"];

/**
 * Reads an SDP (RFC 8866) line by line: `o=`, `c=`, `m=` and the attributes the forwarding tests look
 * at. Lenient on purpose: it reports what is there and lets the test decide what is missing.
 */
export function parseSdpText(text: string): SdpText {
  const origin = { username: "", sessionId: "", version: "", address: "" };
  let sessionAddress = "";
  let sessionDirection = "sendrecv";
  const media: SdpMedia[] = [];
  for (const line of text.split(/\r?\n/)) {
    const current = media[media.length - 1];
    if (line.startsWith("o=")) {
      const [username = "", sessionId = "", version = "", , , address = ""] = line.slice(2).split(" ");
      Object.assign(origin, { username, sessionId, version, address });
    } else if (line.startsWith("c=")) {
      const address = line.split(" ")[2] ?? "";
      if (current) current.address = address;
      else sessionAddress = address;
    } else if (line.startsWith("m=")) {
      const [kind = "", port = "0", proto = "", ...formats] = line.slice(2).split(" ");
      media.push({
        kind,
        port: Number(port),
        proto,
        formats: formats.map(Number),
        label: undefined,
        direction: "",
        crypto: [],
        rtpmap: {},
        address: sessionAddress,
      });
    } else if (line.startsWith("a=")) {
      const attribute = line.slice(2);
      const colon = attribute.indexOf(":");
      const name = colon < 0 ? attribute : attribute.slice(0, colon);
      const value = colon < 0 ? "" : attribute.slice(colon + 1);
      if (directions.includes(name)) {
        if (current) current.direction = name;
        else sessionDirection = name;
      } else if (current && name === "label") current.label = value;
      else if (current && name === "crypto") current.crypto.push(value);
      else if (current && name === "rtpmap") {
        const [pt = "", encoding = ""] = value.split(" ");
        current.rtpmap[Number(pt)] = encoding;
      }
    }
  }
  for (const m of media) if (m.direction === "") m.direction = sessionDirection;
  return { origin, media };
}

/** The parts of a SIPREC INVITE (RFC 7866 §8): the SDP and the RFC 7865 metadata, as sent. */
export interface RecordingOffer {
  sdpText: string;
  sdp: SdpText;
  /** The `application/rs-metadata+xml` part. */
  metadata: string;
  /** The metadata part's Content-Disposition (RFC 7866 §9.1: `recording-session`). */
  metadataDisposition: string;
}

/**
 * Splits a SIPREC INVITE's `multipart/mixed` body into its SDP and its metadata (RFC 7866 §8.1).
 * @throws Error when the body is not multipart or a part is missing.
 */
export function readRecordingOffer(invite: SipText): RecordingOffer {
  const contentType = invite.header("content-type") ?? "";
  if (!/^multipart\/mixed/i.test(contentType)) throw new Error(`Content-Type is "${contentType}"`);
  const parts = splitMultipart(contentType, invite.body);
  const sdpPart = parts.find((p) => /^application\/sdp/i.test(p.headers["content-type"] ?? ""));
  const xmlPart = parts.find((p) => /^application\/rs-metadata\+xml/i.test(p.headers["content-type"] ?? ""));
  if (!sdpPart || !xmlPart) {
    throw new Error(`parts are ${parts.map((p) => p.headers["content-type"]).join(", ")}`);
  }
  return {
    sdpText: sdpPart.body,
    sdp: parseSdpText(sdpPart.body),
    metadata: xmlPart.body,
    metadataDisposition: xmlPart.headers["content-disposition"] ?? "",
  };
}

/** The XSD of RFC 7865 metadata (with our replay extension) that `test/fixtures` keeps. */
const metadataSchema = join(import.meta.dirname, "../fixtures/siprec/outbound/recording-metadata.xsd");

/**
 * Validates RFC 7865 metadata with `xmllint --noout --schema recording-metadata.xsd -` (Debian
 * package `libxml2-utils`); the replay extension is validated through the schema's import.
 * @returns xmllint's exit code and what it printed ("- validates" when valid).
 */
export function validateMetadata(xml: string): { status: number | null; output: string } {
  const run = spawnSync("xmllint", ["--noout", "--schema", metadataSchema, "-"], {
    input: xml,
    encoding: "utf8",
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
