/** One tolerance rule of the SIPREC codec, the vendors that need it and the corpus fixture that proves it. */
export interface VendorQuirk {
  /** Short stable name of the rule. */
  name: string;
  /** SRCs seen sending it. */
  vendors: string[];
  /** What the codec tolerates, and how it maps it onto the RFC 7865/7866 model. */
  tolerates: string;
  /** Fixture basename under `test/fixtures/siprec/vendors/` that exercises it. */
  fixture: string;
}

/**
 * The tolerance rules of `splitRecordingBody`, `parseMetadata`, `extractCorrelation` and
 * `isSiprecInvite` (DESIGN.md §2: strict in what we send, tolerant in what we accept). Each entry
 * names the vendor fixture whose golden file fails if the rule is dropped.
 */
export const vendorQuirks: readonly VendorQuirk[] = [
  {
    name: "extra-mime-part",
    vendors: ["Cisco CUBE"],
    tolerates: "a third multipart part (application/gtd): reported in ignoredParts, not an error",
    fixture: "cisco-cube-basic",
  },
  {
    name: "inactive-offer-empty-assoc",
    vendors: ["Cisco CUBE"],
    tolerates:
      "a=inactive offers and empty participantstreamassoc elements: no send/recv, bindings without sender",
    fixture: "cisco-cube-inactive",
  },
  {
    name: "sdp-only-body",
    vendors: ["Cisco NBR", "BroadWorks (pause/resume re-INVITE)"],
    tolerates: "application/sdp alone: no metadata, streams bound by m-line order",
    fixture: "cisco-nbr",
  },
  {
    name: "namespace-without-version",
    vendors: ["Oracle/Acme", "Sonus/Ribbon", "Metaswitch", "AudioCodes"],
    tolerates: "root namespace urn:ietf:params:xml:ns:recording (no :1)",
    fixture: "oracle-acme",
  },
  {
    name: "draft-id-attributes",
    vendors: ["Oracle/Acme", "AudioCodes", "BroadWorks"],
    tolerates: "id= and session= attributes instead of session_id/participant_id/stream_id",
    fixture: "oracle-acme",
  },
  {
    name: "send-inside-participant",
    vendors: ["Oracle/Acme", "AudioCodes", "BroadWorks"],
    tolerates: "draft-era <send>/<recv> inside <participant> instead of participantstreamassoc",
    fixture: "audiocodes",
  },
  {
    name: "extension-elements-verbatim",
    vendors: ["Oracle/Acme (apkt:)", "Sonus (callData)", "BroadWorks", "Metaswitch", "AudioCodes (ac:)"],
    tolerates: "unknown or foreign-namespace elements at any level: kept verbatim in extensions",
    fixture: "oracle-acme",
  },
  {
    name: "ucid-in-metadata",
    vendors: ["Oracle/Acme (apkt:ucid)", "AudioCodes (ac:AvayaUCID, leading 00 dropped)"],
    tolerates: "UCID as an extension element; ;encoding=hex stripped, a dropped 00 prefix restored",
    fixture: "audiocodes",
  },
  {
    name: "ucid-in-user-to-user",
    vendors: ["Avaya SBCE"],
    tolerates: "UCID carried in the User-to-User header (hex, ;encoding=hex) becomes correlation.ucid",
    fixture: "avaya-sbce-invite",
  },
  {
    name: "camelcase-datamode",
    vendors: ["Avaya SBCE", "BroadWorks", "early Oracle"],
    tolerates: "<dataMode> as well as <datamode>; element names matched case-insensitively",
    fixture: "avaya-sbce-invite",
  },
  {
    name: "send-without-recv",
    vendors: ["Avaya SBCE"],
    tolerates: "participantstreamassoc with only <send>; a placeholder participant with an empty stream id",
    fixture: "avaya-sbce-invite",
  },
  {
    name: "metadata-only-update",
    vendors: ["Avaya SBCE"],
    tolerates: "an UPDATE whose only body is application/rs-metadata: sdp is empty, metadata parsed",
    fixture: "avaya-sbce-update",
  },
  {
    name: "rs-metadata-without-xml-suffix",
    vendors: ["AudioCodes", "Metaswitch", "SEMS", "Avaya SBCE"],
    tolerates: "metadata part type application/rs-metadata (no +xml, RFC 9806)",
    fixture: "metaswitch",
  },
  {
    name: "prefixed-root",
    vendors: ["Sonus/Ribbon"],
    tolerates: "prefixed elements (tns:recording, tns:session, …) resolved by namespace, not by prefix",
    fixture: "sonus",
  },
  {
    name: "aor-without-scheme",
    vendors: ["Sonus/Ribbon", "Metaswitch", "AudioCodes", "SEMS"],
    tolerates: "AORs without sip: (user@host, bare digits, +E.164) kept as written",
    fixture: "sonus",
  },
  {
    name: "broadworks-root",
    vendors: ["BroadWorks", "Cisco Webex Calling"],
    tolerates:
      "root recording_metadata in urn:ietf:params:xml:ns:siprec, <aor> child, <send><id>…</id></send>",
    fixture: "broadworks-acd",
  },
  {
    name: "metadata-part-first",
    vendors: ["BroadWorks", "Cisco Webex Calling"],
    tolerates: "metadata part before the SDP part",
    fixture: "broadworks-acd",
  },
  {
    name: "legacy-src-feature-tag",
    vendors: ["BroadWorks", "AudioCodes 6.x"],
    tolerates: "Contact ;src instead of +sip.src, and no Require: siprec",
    fixture: "broadworks-acd",
  },
  {
    name: "single-mixed-stream",
    vendors: ["BroadWorks", "Metaswitch", "Avaya mono"],
    tolerates: "one m-line carrying a mixed stream that every participant sends and receives",
    fixture: "metaswitch",
  },
  {
    name: "bare-lf-multipart",
    vendors: ["AudioCodes"],
    tolerates: "multipart body with bare LF line endings: parts kept byte-exact, never truncated",
    fixture: "audiocodes",
  },
  {
    name: "token-labels",
    vendors: ["SEMS", "Twilio"],
    tolerates: "labels that are tokens (a_leg/b_leg) and a=direction:both next to a=sendonly",
    fixture: "sems",
  },
  {
    name: "webex-correlation",
    vendors: ["Cisco Webex Calling"],
    tolerates: "Session-ID and X-BroadWorks-Correlation-Info become correlation ids; opus offered first",
    fixture: "broadworks-webex",
  },
];
