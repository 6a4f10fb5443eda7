/**
 * The Session Recording Server feature (RFC 7866): SIP handlers, recording sessions, answers.
 * @module
 */
export { answerDirection, answerMedia, decideMedia, type MediaDecision } from "./answer.ts";
export { RecordingSession } from "./recording-session.ts";
export { assignRoles, type RoleRule } from "./roles.ts";
export { allowedMethods, createSrs, type Srs } from "./srs.ts";
export type * from "./srs-types.ts";
