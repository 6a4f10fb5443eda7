import packageJson from "../../package.json" with { type: "json" };

declare const SIPREC_EDGE_VERSION: string | undefined;

/** The appliance version: set by `make build` (`--define`), else package.json's with `-dev`. */
export const version: string =
  typeof SIPREC_EDGE_VERSION === "string" ? SIPREC_EDGE_VERSION : `${packageJson.version}-dev`;
