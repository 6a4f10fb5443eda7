/**
 * Tools around the appliance: the reference EASP receiver and the test SRC (`simulate-call`).
 * @module
 */
export * from "./receive/index.ts";
export * from "./simulate-call/index.ts";
export * from "./spool-client/index.ts";
