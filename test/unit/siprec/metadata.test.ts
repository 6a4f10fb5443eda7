import { describe, expect, it } from "vitest";
import {
  bindStreams,
  MetadataParseError,
  mergeMetadata,
  parseMetadata,
  type RecordingMetadata,
  serializeMetadata,
} from "../../../src/siprec/index.ts";

const NS = "urn:ietf:params:xml:ns:recording:1";
const doc = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<recording xmlns="${NS}">${inner}</recording>`;

function parseError(xml: string): unknown {
  try {
    parseMetadata(xml);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe("parseMetadata errors", () => {
  it.each([
    { name: "mismatched tags", xml: doc("<session session_id='s1'></stream>") },
    { name: "an unclosed root", xml: `<recording xmlns="${NS}"><datamode>complete</datamode>` },
    { name: "text that is not XML", xml: "this is not xml" },
    { name: "an empty document", xml: "" },
    { name: "two root elements", xml: `${doc("")}${doc("")}` },
    { name: "an unknown root element", xml: `<conference xmlns="${NS}"/>` },
    { name: "a root named like an object property", xml: `<constructor xmlns="${NS}"/>` },
    { name: "a recording root in a foreign namespace", xml: '<recording xmlns="urn:example:other"/>' },
    { name: "BroadWorks' root in the RFC namespace", xml: `<recording_metadata xmlns="${NS}"/>` },
  ])("rejects $name with SIPREC_BAD_METADATA (400)", ({ xml }) => {
    const err = parseError(xml);
    expect(err).toBeInstanceOf(MetadataParseError);
    expect(err).toMatchObject({ code: "SIPREC_BAD_METADATA", status: 400 });
  });

  it("never expands a DTD entity: a billion-laughs document is rejected before parsing", () => {
    const laughs = [
      '<?xml version="1.0"?>',
      "<!DOCTYPE recording [",
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i || ""};`.repeat(10)}">`),
      "]>",
      `<recording xmlns="${NS}"><participant participant_id="p"><nameID aor="sip:a@b"><name>&lol9;</name></nameID></participant></recording>`,
    ].join("\n");
    expect(parseError(laughs)).toMatchObject({ code: "SIPREC_BAD_METADATA" });
  });

  it.each(["&lol9;", "&constructor;"])("leaves the undeclared entity reference %s inert", (ref) => {
    const xml = doc(
      `<participant participant_id="p"><nameID aor="sip:a@b"><name>${ref}</name></nameID></participant>`,
    );
    expect(parseMetadata(xml).participants[0]?.name).toBe(ref);
  });
});

describe("parseMetadata", () => {
  it("reads an RFC 7865 document with associations", () => {
    const metadata = parseMetadata(
      doc(`
      <datamode>partial</datamode>
      <group group_id="g1"><associate-time>2025-01-01T00:00:00Z</associate-time></group>
      <session session_id="s1"><group-ref>g1</group-ref><sipSessionID>abc;remote=def</sipSessionID>
        <start-time>2025-01-01T00:00:00Z</start-time><end-time>2025-01-01T00:05:00Z</end-time></session>
      <participant participant_id="p1"><nameID aor="sip:alice@example.com"><name xml:lang="en">Alice &amp; Co</name></nameID></participant>
      <participantsessionassoc participant_id="p1" session_id="s1"/>
      <stream stream_id="st1" session_id="s1"><label>1</label></stream>
      <participantstreamassoc participant_id="p1"><send>st1</send><recv>st2</recv></participantstreamassoc>`),
    );
    expect(metadata).toEqual({
      namespace: NS,
      dataMode: "partial",
      groupId: "g1",
      sessions: [
        {
          sessionId: "s1",
          groupId: "g1",
          sipSessionId: "abc;remote=def",
          startTime: "2025-01-01T00:00:00Z",
          endTime: "2025-01-01T00:05:00Z",
        },
      ],
      participants: [
        {
          participantId: "p1",
          aor: "sip:alice@example.com",
          name: "Alice & Co",
          sessionIds: ["s1"],
          send: ["st1"],
          recv: ["st2"],
        },
      ],
      streams: [{ streamId: "st1", sessionId: "s1", label: "1" }],
      extensions: [],
    });
  });

  it("defaults to complete when datamode is absent", () => {
    expect(parseMetadata(doc("")).dataMode).toBe("complete");
  });

  it("creates a participant that only an association mentions, so no stream loses its sender", () => {
    const metadata = parseMetadata(
      doc(
        '<stream stream_id="st9"><label>9</label></stream><participantstreamassoc participant_id="ghost"><send>st9</send></participantstreamassoc>',
      ),
    );
    expect(bindStreams(metadata, ["9"])).toEqual([
      { label: "9", streamId: "st9", senderParticipantId: "ghost" },
    ]);
  });

  it("treats an element in a foreign namespace as an extension even if its local name is ours", () => {
    const metadata = parseMetadata(doc('<x:participant xmlns:x="urn:example:x" participant_id="p"/>'));
    expect(metadata.participants).toEqual([]);
    expect(metadata.extensions).toEqual(['<x:participant xmlns:x="urn:example:x" participant_id="p"/>']);
  });
});

describe("bindStreams", () => {
  const metadata = parseMetadata(
    doc(`<participant participant_id="a"/><participant participant_id="b"/>
    <stream stream_id="s1"><label>1</label></stream><stream stream_id="s2"><label>2</label></stream>
    <participantstreamassoc participant_id="b"><send>s2</send></participantstreamassoc>`),
  );

  it("binds labels in m-line order, with empty ids for what the metadata does not know", () => {
    expect(bindStreams(metadata, ["2", "1", "7", ""])).toEqual([
      { label: "2", streamId: "s2", senderParticipantId: "b" },
      { label: "1", streamId: "s1", senderParticipantId: "" },
      { label: "7", streamId: "", senderParticipantId: "" },
      { label: "", streamId: "", senderParticipantId: "" },
    ]);
  });

  it("still returns one binding per m-line without metadata", () => {
    expect(bindStreams(undefined, ["1", "2"])).toEqual([
      { label: "1", streamId: "", senderParticipantId: "" },
      { label: "2", streamId: "", senderParticipantId: "" },
    ]);
  });
});

describe("mergeMetadata", () => {
  const snapshot = parseMetadata(
    doc(`<session session_id="s1"><start-time>T0</start-time></session>
    <participant participant_id="p1"><nameID aor="sip:alice@example.com"><name>Alice</name></nameID></participant>
    <participant participant_id="p2"><nameID aor="sip:bob@example.com"/></participant>
    <stream stream_id="st1" session_id="s1"><label>1</label></stream>
    <stream stream_id="st2" session_id="s1"><label>2</label></stream>
    <participantstreamassoc participant_id="p1"><send>st1</send><recv>st2</recv></participantstreamassoc>
    <participantstreamassoc participant_id="p2"><send>st2</send><recv>st1</recv></participantstreamassoc>`),
  );

  it("applies a partial update by id: new participant added, changed fields replaced, the rest kept", () => {
    const frozen = structuredClone(snapshot);
    const update = parseMetadata(
      doc(`<datamode>partial</datamode>
      <session session_id="s1"><end-time>T9</end-time></session>
      <participant participant_id="p3"><nameID aor="sip:carol@example.com"/></participant>
      <participantstreamassoc participant_id="p3"><send>st2</send></participantstreamassoc>
      <participant participant_id="p2"><nameID aor=""><name>Bob</name></nameID></participant>
      <participantstreamassoc participant_id="p2"><recv>st1</recv></participantstreamassoc>`),
    );
    const merged = mergeMetadata(snapshot, update);
    expect(merged.dataMode).toBe("complete");
    expect(merged.sessions).toEqual([{ sessionId: "s1", startTime: "T0", endTime: "T9" }]);
    expect(merged.participants.map((p) => [p.participantId, p.aor, p.name, p.send, p.recv])).toEqual([
      ["p1", "sip:alice@example.com", "Alice", ["st1"], ["st2"]],
      ["p2", "sip:bob@example.com", "Bob", [], ["st1"]],
      ["p3", "sip:carol@example.com", "", ["st2"], []],
    ]);
    expect(merged.streams).toEqual(snapshot.streams);
    expect(snapshot).toEqual(frozen);
  });

  it("replaces the state with a complete snapshot", () => {
    const next = parseMetadata(doc('<participant participant_id="p9"/>'));
    expect(mergeMetadata(snapshot, next)).toEqual(next);
  });

  it("starts from a partial update when there is no previous state", () => {
    const update = parseMetadata(doc('<datamode>partial</datamode><participant participant_id="p9"/>'));
    expect(mergeMetadata(undefined, update)).toEqual(update);
  });
});

describe("serializeMetadata", () => {
  const model: RecordingMetadata = {
    namespace: NS,
    dataMode: "complete",
    groupId: "g-1",
    sessions: [
      {
        sessionId: "s-1",
        groupId: "g-1",
        sipSessionId: "ab12;remote=cd34",
        startTime: "2025-09-01T10:00:00Z",
      },
    ],
    participants: [
      {
        participantId: "p-1",
        aor: "sip:+15555550100@src.example",
        name: 'Caller "One" <&>',
        sessionIds: ["s-1"],
        send: ["st-1"],
        recv: ["st-2"],
      },
      {
        participantId: "p-2",
        aor: "sip:agent@pbx.example",
        name: "",
        sessionIds: ["s-1"],
        send: ["st-2"],
        recv: ["st-1"],
      },
    ],
    streams: [
      { streamId: "st-1", sessionId: "s-1", label: "1" },
      { streamId: "st-2", sessionId: "s-1", label: "2" },
    ],
    extensions: ['<extensiondata xmlns:se="urn:example:ext"><se:tag>v</se:tag></extensiondata>'],
  };

  it("round-trips through parseMetadata", () => {
    expect(parseMetadata(serializeMetadata(model))).toEqual(model);
  });

  it("writes the RFC 7865 namespace and ids", () => {
    const xml = serializeMetadata({ ...model, namespace: "urn:ietf:params:xml:ns:recording" });
    expect(xml).toContain(`<recording xmlns="${NS}">`);
    expect(xml).toContain('<participantstreamassoc participant_id="p-1"><send>st-1</send><recv>st-2</recv>');
  });

  it("writes a UCID the way SRSs read it, so it parses back", () => {
    const xml = serializeMetadata({ ...model, extensions: [], ucid: "00FA080019001E83A1B2C4" });
    expect(xml).toContain("<apkt:ucid>00FA080019001E83A1B2C4;encoding=hex</apkt:ucid>");
    expect(parseMetadata(xml).ucid).toBe("00FA080019001E83A1B2C4");
  });

  it("does not write the UCID twice when an extension already carries it", () => {
    const parsed = parseMetadata(
      doc(
        '<extensiondata xmlns:apkt="http://acmepacket.com/siprec/extensiondata"><apkt:ucid>00FA08AAAAAAAAAAAAAAAA</apkt:ucid></extensiondata>',
      ),
    );
    expect(parseMetadata(serializeMetadata(parsed))).toEqual(parsed);
  });

  it("accepts a model without namespace and extensions, as an SRC builds it", () => {
    const xml = serializeMetadata({
      dataMode: "complete",
      sessions: [{ sessionId: "s" }],
      participants: [],
      streams: [],
    });
    expect(parseMetadata(xml).sessions).toEqual([{ sessionId: "s" }]);
  });
});
