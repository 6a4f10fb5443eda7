/**
 * The spool's schema migrations, oldest first. Add a step as a new `NNNN-name.ts` module and append it
 * here; never edit a released step.
 * @module
 */
import { migration0001 } from "./0001-init.ts";
import type { Migration } from "./migration.ts";

export type { Migration } from "./migration.ts";

/** Every migration, in version order. */
export const migrations: readonly Migration[] = [migration0001];
