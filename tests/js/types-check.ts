// What a frontend developer expects of the generated types (contracts/typescript), checked by
// tsc (tests/e2e/test_typescript_client.py): each line fails to compile if a type comes out
// wrong. Nothing here runs.
import type { components, paths } from "../../contracts/typescript/api";
import type { ServerToClientEvents } from "../../contracts/typescript/events";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
  ? true
  : false;
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T];
type Schema<Name extends keyof components["schemas"]> = components["schemas"][Name];
type ReadAnswer =
  paths["/v1/agents/{containerId}/files/{path}"]["get"]["responses"][200]["content"];

// readAgentFile answers JSON or the raw bytes, never `unknown`.
export const readAnswerIsTyped: Equal<ReadAnswer[keyof ReadAnswer], Schema<"FileContent"> | string> =
  true;
// A request body may leave out what has a default (the server fills in `encoding`) ...
export const encodingIsOptional: Equal<
  Schema<"WriteFileRequest">,
  { content: string; encoding?: "utf-8" | "base64" }
> = true;
// ... and what an answer always has is required.
export const writeResultIsComplete: Equal<
  RequiredKeys<Schema<"FileWriteResult">>,
  | "containerId"
  | "path"
  | "action"
  | "size"
  | "etag"
  | "hotReloaded"
  | "reloadedFiles"
  | "restartRequired"
> = true;
// The four events a socket receives, each with its payload.
export const serverEvents: Equal<
  keyof ServerToClientEvents,
  "agent-file-changed" | "agent-config-reloaded" | "agent-version-update" | "agent-health-update"
> = true;
