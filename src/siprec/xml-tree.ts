import { XMLParser, XMLValidator } from "fast-xml-parser";
import { MetadataParseError } from "./errors.ts";

/** An XML element with resolved namespace, decoded attributes and text, and its verbatim source. */
export interface XmlElement {
  /** Qualified name as written, e.g. `tns:session`. */
  name: string;
  /** Local name, e.g. `session`. */
  local: string;
  /** Namespace URI the prefix (or default namespace) resolves to; `""` if none. */
  namespace: string;
  /** Attributes by qualified name, entity references decoded. */
  attributes: Map<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** Direct text content (text and CDATA), entity references decoded, trimmed. */
  text: string;
  /** The element's exact source text, from `<` to its closing `>`. */
  raw: string;
}

const metadataSymbol = XMLParser.getMetaDataSymbol() as unknown as symbol;

const parser = new XMLParser({
  preserveOrder: true,
  captureMetaData: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type OrderedNode = Record<string, unknown> & { [key: symbol]: { startIndex?: number; endIndex?: number } };

/**
 * Parses an XML document into an element tree, safely: a DOCTYPE (and with it every DTD and custom
 * entity) is refused, entity references are never expanded beyond the five predefined ones and
 * character references, so a "billion laughs" document cannot grow.
 *
 * @returns the root element.
 * @throws MetadataParseError (`SIPREC_BAD_METADATA`) on a DOCTYPE, malformed XML, or not exactly one root.
 */
export function parseXmlTree(xml: string): XmlElement {
  if (/<!DOCTYPE/i.test(xml)) throw new MetadataParseError("metadata XML must not contain a DOCTYPE");
  const verdict = XMLValidator.validate(xml);
  if (verdict !== true) {
    const { msg, line } = verdict.err;
    throw new MetadataParseError(`malformed metadata XML (line ${line ?? 1}): ${msg}`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(xml) as OrderedNode[];
  } catch (cause) {
    throw new MetadataParseError("malformed metadata XML", { cause });
  }
  const roots = nodes.flatMap((node) => toElement(node, xml, new Map()) ?? []);
  if (roots.length !== 1) throw new MetadataParseError(`metadata XML has ${roots.length} root elements`);
  return roots[0]!;
}

function toElement(
  node: OrderedNode,
  xml: string,
  scope: ReadonlyMap<string, string>,
): XmlElement | undefined {
  const name = Object.keys(node).find((key) => key !== ":@");
  if (name === undefined || name === "#text") return undefined;
  const attributes = new Map<string, string>();
  for (const [key, value] of Object.entries((node[":@"] ?? {}) as Record<string, string>)) {
    attributes.set(key, decodeEntities(String(value)));
  }
  const inner = withDeclarations(scope, attributes);
  const colon = name.indexOf(":");
  const prefix = colon < 0 ? "" : name.slice(0, colon);
  const meta = node[metadataSymbol];
  const children: XmlElement[] = [];
  let text = "";
  for (const child of (node[name] ?? []) as OrderedNode[]) {
    if ("#text" in child) text += String(child["#text"]);
    else {
      const element = toElement(child, xml, inner);
      if (element) children.push(element);
    }
  }
  return {
    name,
    local: colon < 0 ? name : name.slice(colon + 1),
    namespace: inner.get(prefix) ?? "",
    attributes,
    children,
    text: decodeEntities(text).trim(),
    raw: meta?.startIndex !== undefined ? xml.slice(meta.startIndex, meta.endIndex) : "",
  };
}

/** The prefix → namespace map in effect inside an element (`""` is the default namespace). */
function withDeclarations(scope: ReadonlyMap<string, string>, attributes: Map<string, string>) {
  let inner: Map<string, string> | undefined;
  for (const [key, value] of attributes) {
    if (key !== "xmlns" && !key.startsWith("xmlns:")) continue;
    inner ??= new Map(scope);
    inner.set(key === "xmlns" ? "" : key.slice("xmlns:".length), value);
  }
  return inner ?? scope;
}

const PREDEFINED: ReadonlyMap<string, string> = new Map([
  ["lt", "<"],
  ["gt", ">"],
  ["amp", "&"],
  ["quot", '"'],
  ["apos", "'"],
]);

/** Decodes the five predefined entities and character references (XML 1.0 §4.6, §4.1); others stay literal. */
function decodeEntities(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, ref: string) => {
    if (!ref.startsWith("#")) return PREDEFINED.get(ref) ?? whole;
    const code = ref[1] === "x" ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}
