import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SrsError } from "../../../src/lib/index.ts";
import { parseSdp } from "../../../src/sdp/index.ts";
import {
  bindStreams,
  mergeMetadata,
  parseMetadata,
  splitRecordingBody,
  vendorQuirks,
} from "../../../src/siprec/index.ts";
import {
  expectedPath,
  headerLookup,
  listFixtures,
  readFixture,
  summarize,
  vendorsDir,
} from "./vendor-corpus.ts";

const fixtures = listFixtures();

describe("vendor SIPREC corpus", () => {
  it.each(fixtures)("%s is understood as its golden file says", (name) => {
    const golden = JSON.parse(readFileSync(expectedPath(name), "utf8"));
    expect(summarize(readFixture(name))).toEqual(golden);
  });

  it.each(fixtures)("%s declares the Content-Length of its body", (name) => {
    const fixture = readFixture(name);
    expect(Number(headerLookup(fixture)("Content-Length"))).toBe(fixture.body.length);
  });

  it.each(fixtures)("%s keeps every extension element verbatim", (name) => {
    const fixture = readFixture(name);
    const body = splitRecordingBody(headerLookup(fixture)("Content-Type"), fixture.body);
    if (!body.metadata) return;
    for (const extension of parseMetadata(body.metadata.xml).extensions) {
      expect(body.metadata.xml).toContain(extension);
    }
  });

  it.each(fixtures)("%s cut short anywhere fails only with the codec's own errors", (name) => {
    const fixture = readFixture(name);
    for (let cut = 0; cut < fixture.body.length; cut += 7) {
      try {
        summarize({ ...fixture, body: fixture.body.subarray(0, cut) });
      } catch (err) {
        expect(err, `${name} cut at byte ${cut}`).toBeInstanceOf(SrsError);
      }
    }
  });

  it("has a golden file for every message and a message for every golden file", () => {
    const goldens = readdirSync(vendorsDir).filter((file) => file.endsWith(".expected.json"));
    expect(goldens.map((file) => file.replace(".expected.json", "")).sort()).toEqual(fixtures);
  });

  it("covers every vendor case the field notes require", () => {
    const required = [
      "cisco-cube-basic",
      "cisco-cube-inactive",
      "oracle-acme",
      "avaya-sbce-invite",
      "avaya-sbce-update",
      "sonus",
      "broadworks-acd",
      "metaswitch",
      "audiocodes",
      "sems",
    ];
    expect(fixtures).toEqual(expect.arrayContaining(required));
  });

  it("proves every vendor quirk with an existing fixture, and every fixture backs a quirk", () => {
    for (const quirk of vendorQuirks) {
      expect(existsSync(expectedPath(quirk.fixture)), `${quirk.name} → ${quirk.fixture}`).toBe(true);
    }
    expect(new Set(vendorQuirks.map((q) => q.fixture))).toEqual(new Set(fixtures));
  });
});

describe("vendor specifics beyond the golden files", () => {
  it("keeps an AudioCodes bare-LF SDP part whole, up to its last line", () => {
    const fixture = readFixture("audiocodes");
    const body = splitRecordingBody(headerLookup(fixture)("Content-Type"), fixture.body);
    expect(body.sdp).not.toContain("\r");
    expect(body.sdp.trimEnd().endsWith("a=fmtp:101 0-15,16")).toBe(true);
    expect(parseSdp(body.sdp).media).toHaveLength(2);
    expect(body.metadata?.xml.trimEnd().endsWith("</recording>")).toBe(true);
  });

  it("replaces the Avaya placeholder participant with the real ones from the metadata-only UPDATE", () => {
    const metadataOf = (name: string) => {
      const fixture = readFixture(name);
      const xml = splitRecordingBody(headerLookup(fixture)("Content-Type"), fixture.body).metadata?.xml;
      return parseMetadata(xml ?? "");
    };
    const invite = metadataOf("avaya-sbce-invite");
    const state = mergeMetadata(mergeMetadata(undefined, invite), metadataOf("avaya-sbce-update"));
    expect(state.participants.map((p) => p.aor)).toEqual([
      "sip:5125550160@sbce.example.com",
      "sip:4021@pbx.example.com",
    ]);
    expect(bindStreams(state, ["10", "20"]).map((b) => b.senderParticipantId)).toEqual([
      "a1b2c3d4e5f60718293a",
      "b2c3d4e5f60718293a4b",
    ]);
  });
});
