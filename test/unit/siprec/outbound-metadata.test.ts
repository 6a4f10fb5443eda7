import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  applyForwardOverrides,
  buildRecordingMetadata,
  type OutboundParticipant,
  parseMetadata,
  REPLAY_NAMESPACE,
  type RecordingMetadata,
  type RecordingMetadataInput,
} from "../../../src/siprec/index.ts";

const XSD = join(import.meta.dirname, "../../fixtures/siprec/outbound/recording-metadata.xsd");
const START_US = Date.UTC(2024, 4, 17, 9, 30, 15, 250) * 1000 + 777;

const customer: OutboundParticipant = {
  participantId: "in-p1",
  aor: "sip:+15551230001@sbc.example.com",
  name: "Carol Customer",
  role: "customer",
};
const agent: OutboundParticipant = {
  participantId: "in-p2",
  aor: "sip:4711@pbx.example.com",
  name: "Andy Agent",
  role: "agent",
};

function input(overrides: Partial<RecordingMetadataInput> = {}): RecordingMetadataInput {
  return {
    sessionIdentifiers: {
      sipSessionId: "ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2",
    },
    startTime: START_US,
    participants: [customer, agent],
    streams: [
      { label: "1", participantId: "in-p1" },
      { label: "2", participantId: "in-p2" },
    ],
    seed: "call-1",
    ...overrides,
  };
}

/** Runs xmllint (Debian libxml2-utils) against our XSD of the RFC 7865 element structure. */
function validate(xml: string): { ok: boolean; output: string } {
  const run = spawnSync("xmllint", ["--noout", "--schema", XSD, "-"], { input: xml, encoding: "utf8" });
  if (run.error) throw run.error;
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}

/** What a participant looks like to an SRS: AOR, name, and the labels it sends and receives. */
function partiesByLabel(metadata: RecordingMetadata) {
  const labelOf = new Map(metadata.streams.map((s) => [s.streamId, s.label]));
  return metadata.participants.map((p) => ({
    aor: p.aor,
    name: p.name,
    sends: p.send.map((id) => labelOf.get(id)),
    receives: p.recv.map((id) => labelOf.get(id)),
  }));
}

describe("buildRecordingMetadata", () => {
  it("parses back with our own parser to the same participants, streams and labels", () => {
    const metadata = parseMetadata(buildRecordingMetadata(input()));
    expect(metadata.namespace).toBe("urn:ietf:params:xml:ns:recording:1");
    expect(metadata.dataMode).toBe("complete");
    expect(partiesByLabel(metadata)).toEqual([
      { aor: customer.aor, name: "Carol Customer", sends: ["1"], receives: ["2"] },
      { aor: agent.aor, name: "Andy Agent", sends: ["2"], receives: ["1"] },
    ]);
    expect(metadata.streams.map((s) => s.label)).toEqual(["1", "2"]);
    expect(metadata.extensions).toEqual([]);
  });

  it("describes one session in one group, with the CS's Session-ID and start time", () => {
    const metadata = parseMetadata(buildRecordingMetadata(input()));
    expect(metadata.sessions).toHaveLength(1);
    const session = metadata.sessions[0];
    expect(session).toEqual({
      sessionId: expect.any(String),
      sipSessionId: "ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2",
      startTime: "2024-05-17T09:30:15.250Z",
      groupId: metadata.groupId,
    });
    for (const p of metadata.participants) expect(p.sessionIds).toEqual([session?.sessionId]);
    for (const s of metadata.streams) expect(s.sessionId).toBe(session?.sessionId);
  });

  it("leaves out <sipSessionID> when the CS's Session-ID is not known", () => {
    const xml = buildRecordingMetadata(input({ sessionIdentifiers: {} }));
    expect(xml).not.toContain("sipSessionID");
    expect(parseMetadata(xml).sessions[0]?.sipSessionId).toBeUndefined();
    expect(validate(xml).ok).toBe(true);
  });

  it("uses base64 ids of 16 bytes, the same for the same seed and new ones without a seed", () => {
    const ids = (xml: string) => [...xml.matchAll(/_id="([^"]+)"/g)].map((m) => m[1] ?? "");
    const seeded = ids(buildRecordingMetadata(input()));
    expect(seeded.length).toBeGreaterThan(0);
    for (const id of seeded) expect(Buffer.from(id, "base64")).toHaveLength(16);
    expect(ids(buildRecordingMetadata(input()))).toEqual(seeded);
    expect(ids(buildRecordingMetadata(input({ seed: "call-2" })))).not.toEqual(seeded);
    const random1 = ids(buildRecordingMetadata(input({ seed: undefined })));
    const random2 = ids(buildRecordingMetadata(input({ seed: undefined })));
    expect(random1).not.toEqual(random2);
    for (const id of random1) expect(id).toMatch(/^[A-Za-z0-9+/]{22}==$/);
  });

  it("never copies the inbound participant ids", () => {
    const xml = buildRecordingMetadata(input());
    expect(xml).not.toContain("in-p1");
    expect(xml).not.toContain("in-p2");
  });

  it("applies caller and calledParty overrides to the customer and the agent", () => {
    const xml = buildRecordingMetadata(
      input({
        participants: [agent, customer],
        streams: [
          { label: "10", participantId: "in-p2" },
          { label: "20", participantId: "in-p1" },
        ],
        overrides: {
          caller: { name: "VIP caller", user: "0049301234", label: "caller" },
          calledParty: { name: "Queue 7", user: "queue7" },
        },
      }),
    );
    expect(partiesByLabel(parseMetadata(xml))).toEqual([
      { aor: "sip:queue7@pbx.example.com", name: "Queue 7", sends: ["10"], receives: ["caller"] },
      { aor: "sip:0049301234@sbc.example.com", name: "VIP caller", sends: ["caller"], receives: ["10"] },
    ]);
    expect(validate(xml).ok).toBe(true);
  });

  it("takes the first participant as caller and the second as called party when no roles are known", () => {
    const unknown = (p: OutboundParticipant): OutboundParticipant => ({ ...p, role: "unknown" });
    const parties = applyForwardOverrides(
      [unknown(customer), unknown(agent)],
      [{ label: "1", participantId: "in-p1" }],
      { caller: { name: "A" }, calledParty: { name: "B", label: "9" } },
    );
    expect(parties.participants.map((p) => p.name)).toEqual(["A", "B"]);
    expect(parties.streams).toEqual([{ label: "1", participantId: "in-p1" }]);
  });

  it("puts the user override into every AOR shape", () => {
    const aorAfter = (aor: string) =>
      applyForwardOverrides([{ ...customer, aor }], [], { caller: { user: "999" } }).participants[0]?.aor;
    expect(aorAfter("sip:1001@pbx.example.com;user=phone")).toBe("sip:999@pbx.example.com;user=phone");
    expect(aorAfter("sips:alice@example.com")).toBe("sips:999@example.com");
    expect(aorAfter("tel:+15551234")).toBe("tel:999");
    expect(aorAfter("sip:pbx.example.com")).toBe("sip:999@pbx.example.com");
    expect(aorAfter("2249888500@172.16.198.55")).toBe("999@172.16.198.55");
    expect(aorAfter("7602922411")).toBe("999");
    expect(aorAfter("")).toBe("999");
  });

  it("does not change the participants and streams it is given", () => {
    const participants = [customer, agent];
    const streams = [{ label: "1", participantId: "in-p1" }];
    applyForwardOverrides(participants, streams, { caller: { name: "X", label: "7" } });
    expect(participants[0]).toBe(customer);
    expect(customer.name).toBe("Carol Customer");
    expect(streams[0]?.label).toBe("1");
  });

  it("refuses an override label that is not an SDP token or that another stream already has", () => {
    expect(() =>
      buildRecordingMetadata(input({ overrides: { caller: { label: "1\r\na=sendrecv" } } })),
    ).toThrow(RangeError);
    expect(() => buildRecordingMetadata(input({ overrides: { caller: { label: "" } } }))).toThrow(RangeError);
    expect(() => buildRecordingMetadata(input({ overrides: { caller: { label: "2" } } }))).toThrow(
      /another stream/,
    );
  });

  it("marks a replay with our extension element carrying the original start and the span", () => {
    const xml = buildRecordingMetadata(
      input({
        replay: {
          originalStartUs: START_US,
          spanStartUs: START_US + 60_000_000,
          spanEndUs: START_US + 95_500_000,
          sourceSessionId: "01907c3e-5f7a-7cc1-9a35-7d4c2a1b0e11",
        },
      }),
    );
    const metadata = parseMetadata(xml);
    expect(metadata.extensions).toHaveLength(1);
    const extension = metadata.extensions[0] ?? "";
    expect(extension).toContain(`xmlns:se="${REPLAY_NAMESPACE}"`);
    expect(extension).toContain("<se:original-start-time>2024-05-17T09:30:15.250Z</se:original-start-time>");
    expect(extension).toContain("<se:span-start>2024-05-17T09:31:15.250Z</se:span-start>");
    expect(extension).toContain("<se:span-end>2024-05-17T09:31:50.750Z</se:span-end>");
    expect(extension).toContain(
      "<se:source-session>01907c3e-5f7a-7cc1-9a35-7d4c2a1b0e11</se:source-session>",
    );
    expect(partiesByLabel(metadata)).toHaveLength(2);
    expect(validate(xml)).toEqual({ ok: true, output: "- validates\n" });
  });

  it("escapes markup in names and AORs from the network so they parse back unchanged", () => {
    const nasty: OutboundParticipant = {
      participantId: "in-p1",
      aor: `sip:o'hara&"co"@example.com?x=<y>`,
      name: `"Bob" <bob> & Sons ]]> O'Hara`,
      role: "customer",
    };
    const xml = buildRecordingMetadata(input({ participants: [nasty, agent] }));
    const [first] = parseMetadata(xml).participants;
    expect(first?.aor).toBe(nasty.aor);
    expect(first?.name).toBe(nasty.name);
    expect(xml).not.toContain("<bob>");
    expect(validate(xml).ok).toBe(true);
  });

  it("replaces characters XML cannot carry and keeps line breaks in attributes", () => {
    const odd: OutboundParticipant = {
      participantId: "in-p1",
      aor: "sip:a\u0000b@example.com",
      name: "Eve\u0007 \ud800Mallory",
      role: "customer",
    };
    const xml = buildRecordingMetadata(input({ participants: [odd, agent] }));
    const [first] = parseMetadata(xml).participants;
    expect(first?.aor).toBe("sip:a\ufffdb@example.com");
    expect(first?.name).toBe("Eve\ufffd \ufffdMallory");
    expect(validate(xml).ok).toBe(true);
  });

  it.each([
    { name: "a two-party call", extra: {} },
    {
      name: "a conference of three with one stream each",
      extra: {
        participants: [customer, agent, { ...agent, participantId: "in-p3", role: "unknown" as const }],
        streams: [
          { label: "1", participantId: "in-p1" },
          { label: "2", participantId: "in-p2" },
          { label: "3", participantId: "in-p3" },
        ],
      },
    },
    { name: "a mono recording (one stream)", extra: { streams: [{ label: "1", participantId: "in-p1" }] } },
    {
      name: "participants without names or AORs",
      extra: {
        participants: [
          { ...customer, aor: "", name: "" },
          { ...agent, name: " " },
        ],
      },
    },
    { name: "a session without streams yet", extra: { streams: [] } },
  ])("validates against the RFC 7865 element structure for $name", ({ extra }) => {
    const result = validate(buildRecordingMetadata(input(extra)));
    expect(result.output).toBe("- validates\n");
    expect(result.ok).toBe(true);
  });

  it("is checked by a schema that rejects elements out of RFC 7865 order", () => {
    const xml = buildRecordingMetadata(input());
    const streams = xml.match(/ {2}<stream [\s\S]*?<\/stream>\n/g)?.join("") ?? "";
    const reordered = xml.replace(streams, "").replace("  <participant ", `${streams}  <participant `);
    expect(reordered).not.toBe(xml);
    expect(validate(reordered).ok).toBe(false);
  });
});
