/**
 * Tools around the appliance: the reference EASP receiver, the test SRC (`simulate-call`), the
 * spool client and the diagnostics bundle (`diag`).
 * @module
 */

export * from "./diag/index.ts";
export * from "./receive/index.ts";
export * from "./simulate-call/index.ts";
export * from "./spool-client/index.ts";
