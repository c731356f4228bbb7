// Generates the frontend's TypeScript types from the contracts, with openapi-typescript 7:
//   contracts/typescript/api.d.ts     from openapi.yaml (the `paths` openapi-fetch takes)
//   contracts/typescript/events.d.ts  from contracts/events.yaml: the payload schemas, and the
//                                     ServerToClientEvents / ClientToServerEvents pair that
//                                     socket.io-client's Socket<…, …> takes
// Usage (in tests/js): node generate-types.mjs [output directory]   (npm run generate-types)
// tests/e2e/test_typescript_client.py regenerates into a temporary folder and compares.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import yaml from "js-yaml";
import openapiTS, { astToString } from "openapi-typescript";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const out = resolve(process.argv[2] ?? join(root, "contracts", "typescript"));
const generator = createRequire(import.meta.url)("openapi-typescript/package.json");

const OPTIONS = {
  // A property with a `default` is optional unless `required` lists it: the server fills it
  // in (WriteFileRequest.encoding). Response properties that are always there are required.
  defaultNonNullable: false,
  silent: true,
};
// Socket.io's own events: typed by socket.io-client itself, never part of the event maps.
const RESERVED = new Set(["connect", "connect_error", "disconnect"]);

const header = (source) =>
  [
    `// Generated from ${source} by tests/js/generate-types.mjs (openapi-typescript ` +
      `${generator.version}).`,
    "// Do not edit: change the contract, then run `npm run generate-types` in tests/js.",
    "",
    "",
  ].join("\n");

async function apiTypes() {
  const nodes = await openapiTS(pathToFileURL(join(root, "openapi.yaml")), OPTIONS);
  return header("openapi.yaml") + astToString(nodes);
}

function pointer(doc, ref) {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported: ${ref}`);
  return ref
    .slice(2)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"))
    .reduce((node, part) => {
      if (node?.[part] === undefined) throw new Error(`unresolved $ref: ${ref}`);
      return node[part];
    }, doc);
}

const deref = (doc, node) => (node?.$ref ? deref(doc, pointer(doc, node.$ref)) : node);

function payloadSchema(message) {
  const ref = message.payload?.$ref ?? "";
  const match = /^#\/components\/schemas\/([A-Za-z0-9_]+)$/.exec(ref);
  if (!match) throw new Error(`message ${message.name}: its payload must $ref a schema`);
  return match[1];
}

function jsdoc(indent, ...texts) {
  const lines = texts
    .filter(Boolean)
    .map((text) => text.replace(/\s+/g, " ").trim().replaceAll("*/", "*\\/"));
  if (lines.length === 0) return "";
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}\n`).join("")}${indent} */\n`;
}

async function eventTypes() {
  const events = yaml.load(readFileSync(join(root, "contracts", "events.yaml"), "utf8"));
  // openapi-typescript reads OpenAPI: hand it the AsyncAPI document's schemas as one.
  const asOpenApi = {
    openapi: "3.1.0",
    info: { title: events.info.title, version: events.info.version },
    paths: {},
    components: { schemas: events.components.schemas },
  };
  const nodes = await openapiTS(asOpenApi, OPTIONS);
  const components = nodes.filter((node) => node.name?.text === "components");
  if (components.length !== 1) throw new Error("openapi-typescript gave no `components`");

  const aliases = [];
  const aliasOf = new Map(); // message object -> the exported payload type's name
  const serverToClient = [];
  const clientToServer = [];
  for (const [key, raw] of Object.entries(events.components.messages)) {
    const message = deref(events, raw);
    aliasOf.set(message, key);
    aliases.push(
      jsdoc("", `\`${message.name}\`: ${message.summary ?? message.title ?? ""}`) +
        `export type ${key} = components["schemas"]["${payloadSchema(message)}"];\n`,
    );
  }
  const alias = (message) => {
    if (!aliasOf.has(message)) throw new Error(`message ${message.name}: not in components.messages`);
    return aliasOf.get(message);
  };
  for (const [id, operation] of Object.entries(events.operations)) {
    for (const raw of operation.messages) {
      const message = deref(events, raw);
      if (RESERVED.has(message.name)) continue;
      const payload = alias(message);
      const doc = jsdoc("    ", operation.summary, operation.description, `(operation ${id})`);
      if (operation.action === "send") {
        serverToClient.push(`${doc}    ${JSON.stringify(message.name)}: (payload: ${payload}) => void;\n`);
      } else if (operation.action === "receive") {
        const replies = (operation.reply?.messages ?? []).map((reply) => deref(events, reply));
        if (replies.length > 1) throw new Error(`operation ${id}: one reply message at most`);
        const ack = replies.length
          ? `, ack: (answer: ${alias(replies[0])}) => void`
          : "";
        clientToServer.push(
          `${doc}    ${JSON.stringify(message.name)}: (payload: ${payload}${ack}) => void;\n`,
        );
      } else {
        throw new Error(`operation ${id}: unknown action ${operation.action}`);
      }
    }
  }
  return (
    header("contracts/events.yaml") +
    astToString(components) +
    "\n" +
    aliases.join("") +
    "\n" +
    jsdoc("", "What the server emits to a socket: `Socket<ServerToClientEvents, ClientToServerEvents>`.") +
    `export interface ServerToClientEvents {\n${serverToClient.join("")}}\n` +
    "\n" +
    jsdoc("", "What a socket may emit to the server.") +
    `export interface ClientToServerEvents {\n${clientToServer.join("")}}\n`
  );
}

mkdirSync(out, { recursive: true });
writeFileSync(join(out, "api.d.ts"), await apiTypes());
writeFileSync(join(out, "events.d.ts"), await eventTypes());
process.stdout.write(`${join(out, "api.d.ts")}\n${join(out, "events.d.ts")}\n`);
