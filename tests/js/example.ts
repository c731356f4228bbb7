// A frontend's first steps, typed from the contracts (contracts/typescript):
// lists the caller's agents (openapi-fetch, bearer token), reads the first writable one's
// health, connects socket.io-client with auth {token}, writes a file and waits for the typed
// `agent-file-changed` about it, reads the file back; prints one JSON summary line.
// Usage (in tests/js): npx tsx example.ts <API url> <Socket.io url> <access token>
// tests/e2e/test_typescript_client.py type-checks it (tsc, strict) and runs it.
import createClient from "openapi-fetch";
import { io, type Socket } from "socket.io-client";
import type { components, paths } from "../../contracts/typescript/api";
import type {
  AgentFileChanged,
  ClientToServerEvents,
  ConnectAuth,
  ServerToClientEvents,
} from "../../contracts/typescript/events";

type AgentSummary = components["schemas"]["AgentSummary"];
type Problem = components["schemas"]["Problem"];

const TIMEOUT_MS = 15_000;

function fail(operation: string, problem: Problem): never {
  throw new Error(`${operation}: ${problem.status} ${problem.code}: ${problem.detail ?? ""}`);
}

function writable(agent: AgentSummary): string | undefined {
  if (!agent.capabilities.includes("file.write")) return undefined;
  return agent.fileRoots.find((root) => root.writable)?.path;
}

async function main(baseUrl: string, socketUrl: string, token: string): Promise<object> {
  // Typed for JSON answers (readAgentFile can also stream raw bytes, getAgentLogs an event
  // stream) and problem+json errors: `data` is FileContent, not FileContent | string.
  const api = createClient<paths, "application/json" | "application/problem+json">({
    baseUrl,
    headers: { Authorization: `Bearer ${token}` },
  });

  const listed = await api.GET("/v1/agents", { params: { query: { limit: 50 } } });
  if (listed.error) fail("listAgents", listed.error);
  const agents = listed.data.containers;
  const agent = agents.find((candidate) => writable(candidate) !== undefined);
  const root = agent && writable(agent);
  if (agent === undefined || root === undefined) throw new Error("no agent with a writable root");
  const containerId = agent.containerId;

  const health = await api.GET("/v1/agents/{containerId}/health", {
    params: { path: { containerId } },
  });
  if (health.error) fail("getAgentHealth", health.error);

  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(socketUrl, {
    auth: { token } satisfies ConnectAuth,
    transports: ["websocket"],
    reconnection: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });

    const path = `${root}/typescript-example.txt`;
    const content = "written by tests/js/example.ts\n";
    const changed = new Promise<AgentFileChanged>((resolve) => {
      const listener = (event: AgentFileChanged): void => {
        if (event.containerId !== containerId || event.path !== path) return;
        socket.off("agent-file-changed", listener);
        resolve(event);
      };
      socket.on("agent-file-changed", listener);
    });
    // `path` without its leading slash; openapi-fetch sends its `/` as `%2F`, which the API
    // accepts. `encoding` is optional: the server defaults it to utf-8.
    const file = { path: { containerId, path: path.slice(1) } };
    const written = await api.PUT("/v1/agents/{containerId}/files/{path}", {
      params: file,
      body: { content },
    });
    if (written.error) fail("writeAgentFile", written.error);
    const event = await changed;

    const read = await api.GET("/v1/agents/{containerId}/files/{path}", { params: file });
    if (read.error) fail("readAgentFile", read.error);

    return {
      agents: agents.map((listedAgent) => listedAgent.containerId),
      containerId,
      health: { status: health.data.status, health: health.data.health },
      written: { action: written.data.action, etag: written.data.etag },
      event,
      read: { content: read.data.content, encoding: read.data.encoding, etag: read.data.etag },
    };
  } finally {
    socket.close();
  }
}

const [baseUrl, socketUrl, token] = process.argv.slice(2);
if (baseUrl === undefined || socketUrl === undefined || token === undefined) {
  process.stderr.write("usage: tsx example.ts <API url> <Socket.io url> <access token>\n");
  process.exit(2);
}
const timer = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: `no answer within ${TIMEOUT_MS} ms` })}\n`);
  process.exit(1);
}, TIMEOUT_MS);
try {
  process.stdout.write(`${JSON.stringify(await main(baseUrl, socketUrl, token))}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error) })}\n`);
  process.exitCode = 1;
} finally {
  clearTimeout(timer);
}
