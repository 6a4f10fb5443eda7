import { describe, expect, it } from "vitest";
import { buildRecordingBody, SiprecBodyError, splitRecordingBody } from "../../../src/siprec/index.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const crlf = (text: string) => text.replace(/\n/g, "\r\n");

const SDP = crlf(
  "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 4000 RTP/AVP 0\na=sendonly\n",
);
const XML = crlf(
  '<?xml version="1.0"?>\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode></recording>\n',
);

function multipart(boundary: string, parts: [type: string, content: string][], eol = "\r\n"): string {
  const sections = parts.map(
    ([type, content]) => `--${boundary}${eol}Content-Type: ${type}${eol}${eol}${content}`,
  );
  return `${sections.join(eol)}${eol}--${boundary}--${eol}`;
}

describe("splitRecordingBody errors", () => {
  it.each([
    {
      name: "multipart without a boundary parameter",
      contentType: "multipart/mixed",
      body: multipart("b1", [["application/sdp", SDP]]),
      code: "SIPREC_NO_BOUNDARY",
      status: 400,
    },
    {
      name: "boundary that never occurs in the body",
      contentType: "multipart/mixed;boundary=elsewhere",
      body: multipart("b1", [["application/sdp", SDP]]),
      code: "SIPREC_BAD_MULTIPART",
      status: 400,
    },
    {
      name: "a text/plain body",
      contentType: "text/plain",
      body: "hello recorder",
      code: "SIPREC_NO_SDP",
      status: 415,
    },
    {
      name: "a multipart body with no SDP and no metadata part",
      contentType: "multipart/mixed;boundary=b1",
      body: multipart("b1", [
        ["application/gtd", "IAM,\r\n"],
        ["text/plain", "x"],
      ]),
      code: "SIPREC_NO_SDP",
      status: 415,
    },
    {
      name: "a body without Content-Type that is not SDP",
      contentType: undefined,
      body: "<recording/>",
      code: "SIPREC_NO_SDP",
      status: 415,
    },
  ])("rejects $name with $code ($status)", ({ contentType, body, code, status }) => {
    let caught: unknown;
    try {
      splitRecordingBody(contentType, bytes(body));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SiprecBodyError);
    expect(caught).toMatchObject({ code, status });
  });
});

describe("splitRecordingBody", () => {
  it("picks the SDP and the metadata in either order and reports the parts it skipped", () => {
    const body = multipart("b1", [
      ["application/rs-metadata+xml", XML],
      ["application/gtd", "IAM,\r\n"],
      ["application/sdp", SDP],
    ]);
    const result = splitRecordingBody("multipart/mixed;boundary=b1", bytes(body));
    expect(result.sdp).toBe(SDP);
    expect(result.metadata).toEqual({ xml: XML, contentType: "application/rs-metadata+xml" });
    expect(result.ignoredParts).toEqual(["application/gtd"]);
  });

  it("accepts a quoted boundary with parameters in any order and case", () => {
    const body = multipart("a b=c", [["Application/SDP", SDP]]);
    const result = splitRecordingBody('Multipart/Mixed; charset=utf-8 ; BOUNDARY="a b=c"', bytes(body));
    expect(result.sdp).toBe(SDP);
  });

  it("ignores a preamble and an epilogue and reads part headers such as Content-Disposition", () => {
    const body = `This is a preamble\r\n--b1\r\nContent-Disposition: recording-session\r\nContent-Type: application/rs-metadata\r\n\r\n${XML}\r\n--b1\r\ncontent-type:application/sdp\r\n\r\n${SDP}\r\n--b1--\r\nepilogue text\r\n`;
    const result = splitRecordingBody("multipart/mixed;boundary=b1", bytes(body));
    expect(result.sdp).toBe(SDP);
    expect(result.metadata?.contentType).toBe("application/rs-metadata");
    expect(result.metadata?.xml).toBe(XML);
  });

  it("keeps bare-LF parts byte-exact", () => {
    const lfSdp = SDP.replace(/\r\n/g, "\n");
    const body = multipart(
      "b1",
      [
        ["application/sdp", lfSdp],
        ["application/rs-metadata", XML],
      ],
      "\n",
    );
    const result = splitRecordingBody("multipart/mixed;boundary=b1", bytes(body));
    expect(result.sdp).toBe(lfSdp);
    expect(result.metadata?.xml).toBe(XML);
  });

  it("reads the last part to the end of the body when the close delimiter is missing", () => {
    const body = `--b1\r\nContent-Type: application/sdp\r\n\r\n${SDP}`;
    expect(splitRecordingBody("multipart/mixed;boundary=b1", bytes(body)).sdp).toBe(SDP);
  });

  it("does not take a longer boundary that merely starts with ours as a delimiter", () => {
    const body = multipart("b1", [["application/sdp", `${SDP}--b1x is not a delimiter\r\n`]]);
    expect(splitRecordingBody("multipart/mixed;boundary=b1", bytes(body)).sdp).toContain("--b1x");
  });

  it("decodes UTF-8 in the metadata part", () => {
    const xml = '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><x>Zoë Müller</x></recording>';
    const body = multipart("b1", [["application/rs-metadata+xml", xml]]);
    expect(splitRecordingBody("multipart/mixed;boundary=b1", bytes(body)).metadata?.xml).toBe(xml);
  });

  it("returns a lone SDP body as SDP (Cisco NBR, SDP-only re-INVITE)", () => {
    expect(splitRecordingBody("application/sdp", bytes(SDP))).toEqual({ sdp: SDP, ignoredParts: [] });
  });

  it("returns a lone metadata body with an empty SDP (Avaya metadata-only UPDATE)", () => {
    expect(splitRecordingBody("application/rs-metadata", bytes(XML))).toEqual({
      sdp: "",
      metadata: { xml: XML, contentType: "application/rs-metadata" },
      ignoredParts: [],
    });
  });

  it("leaves an empty body to the SRS to judge", () => {
    expect(splitRecordingBody(undefined, new Uint8Array())).toEqual({ sdp: "", ignoredParts: [] });
  });

  it("takes an untyped body that starts with v= as SDP", () => {
    expect(splitRecordingBody(undefined, bytes(SDP)).sdp).toBe(SDP);
  });
});

describe("buildRecordingBody", () => {
  it("builds a multipart/mixed body that splits back into the same SDP and metadata", () => {
    const built = buildRecordingBody(SDP, XML, "srs-test-boundary");
    expect(built.contentType).toBe("multipart/mixed;boundary=srs-test-boundary");
    expect(built.body).toContain("Content-Disposition: recording-session");
    expect(built.body.replace(/\r\n/g, "")).not.toContain("\n");
    const split = splitRecordingBody(built.contentType, bytes(built.body));
    expect(split).toEqual({
      sdp: SDP,
      metadata: { xml: XML, contentType: "application/rs-metadata+xml" },
      ignoredParts: [],
    });
  });

  it("chooses a boundary by itself that does not occur in the parts", () => {
    const built = buildRecordingBody(SDP, XML);
    expect(splitRecordingBody(built.contentType, bytes(built.body)).sdp).toBe(SDP);
  });

  it("refuses a boundary that occurs inside a part", () => {
    expect(() => buildRecordingBody(`${SDP}--clash\r\n`, XML, "clash")).toThrow(RangeError);
  });
});
