/**
 * The spool's schema migrations, oldest first. Add a step as a new `NNNN-name.ts` module and append it
 * here; never edit a released step.
 * @module
 */
import { migration0001 } from "./0001-init.ts";
import { migration0002 } from "./0002-calls-by-end.ts";
import { migration0003 } from "./0003-chunks.ts";
import { migration0004 } from "./0004-call-sinks.ts";
import type { Migration } from "./migration.ts";

export type { Migration } from "./migration.ts";

/** Every migration, in version order. */
export const migrations: readonly Migration[] = [migration0001, migration0002, migration0003, migration0004];
