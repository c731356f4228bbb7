// Lean reference of the service's Socket.io fan-out of one `agent-file-changed` event
// (bench/README.md, fan-out). One port serves both sides, as the service does by default:
//   Socket.io 4 (Engine.IO 4 / Socket.io 5 protocol, what python-socketio 5 speaks): a client
//     connects with auth {token}; the token is an RS256 JWT checked as fastify-ref checks a Bearer
//     token (jose, bench-ref's JWKS loaded once, signature and exp); the socket joins its account's
//     room and is disconnected when its token expires, as ours is.
//   PUT /v1/agents/:containerId/files/<path>  JSON {content}: the same token check on the Bearer
//     header, fastify-ref's ownership lookup (bench-ref's bench.db, a prepared statement), then
//     {containerId, path, action, seq, time} to the owner's room, kept in a window of recent events
//     per container as ours keeps it, and only then the answer (ours also answers after the emit).
// Unlike ours it does not forward the write to WAP: the fake WAP (bench/nginx.conf) answers writes
// only for our WAP ids ("armory-…"), not for bench-ref's.
// Env: PORT (18095), BENCH_DATA_DIR (/tmp/bench-data), EVENT_WINDOW (500, as ours).
import Database from 'better-sqlite3';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const dir = process.env.BENCH_DATA_DIR ?? '/tmp/bench-data';
const PORT = Number(process.env.PORT ?? 18095);
const WINDOW = Number(process.env.EVENT_WINDOW ?? 500);
const MAX_BODY = 1 << 20;
const EVENT = 'agent-file-changed';
const WRITE = /^\/v1\/agents\/([^/]+)\/files\/(.+)$/;

const jwks = createLocalJWKSet(JSON.parse(readFileSync(`${dir}/jwks.json`, 'utf8')));
const db = new Database(`${dir}/bench.db`, { readonly: true, fileMustExist: true });
const ownerOf = db.prepare('SELECT account_id FROM container_launch WHERE id = ?');
const roomOf = (account) => `account:${account}`;
// Per container: the last seq, the paths written (created, then updated), the recent events.
const containers = new Map();

async function verified(token) {  // {sub, exp}, or throws
  const { payload } = await jwtVerify(token, jwks, { algorithms: ['RS256'] });
  return payload;
}

function answer(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req) {  // the body as a string, or null when it is larger than MAX_BODY
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= MAX_BODY ? Buffer.concat(chunks).toString('utf8') : null));
    req.on('error', reject);
  });
}

async function write(req, res, containerId, tail) {
  const auth = req.headers.authorization;
  if (!auth?.startsWith('Bearer ')) return answer(res, 401, { error: 'unauthorised', message: 'missing bearer token' });
  let sub;
  try {
    ({ sub } = await verified(auth.slice(7)));
  } catch {
    return answer(res, 401, { error: 'unauthorised', message: 'invalid or expired token' });
  }
  const row = ownerOf.get(containerId);
  if (!row) return answer(res, 404, { error: 'not_found', message: 'unknown container' });
  if (row.account_id !== sub) return answer(res, 403, { error: 'forbidden', message: 'container belongs to another account' });
  let path, content;
  try {
    path = '/' + decodeURIComponent(tail);
    ({ content } = JSON.parse((await readBody(req)) ?? 'null'));
  } catch {
    content = undefined;
  }
  if (typeof content !== 'string') return answer(res, 400, { error: 'bad_request', message: 'send JSON {content}' });

  let state = containers.get(containerId);
  if (!state) containers.set(containerId, (state = { seq: 0, paths: new Set(), recent: [] }));
  const action = state.paths.has(path) ? 'updated' : 'created';
  state.paths.add(path);
  const payload = { containerId, path, action, seq: ++state.seq, time: new Date().toISOString() };
  state.recent.push({ event: EVENT, data: payload });
  if (state.recent.length > WINDOW) state.recent.shift();
  io.to(roomOf(row.account_id)).emit(EVENT, payload);
  return answer(res, 200, { containerId, path, action, size: Buffer.byteLength(content) });
}

// Engine.IO answers /socket.io/ itself and hands every other request to this listener.
const http = createServer((req, res) => {
  const url = req.url ?? '/';
  const match = req.method === 'PUT' ? WRITE.exec(url.split('?', 1)[0]) : null;
  if (!match) return answer(res, 404, { error: 'not_found', message: 'PUT /v1/agents/:id/files/<path> only' });
  write(req, res, match[1], match[2]).catch((err) => answer(res, 500, { error: 'error', message: String(err) }));
});
const io = new Server(http, { serveClient: false });

io.use(async (socket, next) => {
  const token = socket.handshake.auth?.token;
  const refuse = (detail) => next(Object.assign(new Error('unauthorised'), { data: { code: 'unauthorised', detail } }));
  if (typeof token !== 'string' || !token.trim()) return refuse('send auth {token}');
  try {
    const { sub, exp } = await verified(token.trim());
    socket.data.account = sub;
    socket.data.expiresAt = typeof exp === 'number' ? exp * 1000 : null;
    next();
  } catch {
    refuse('invalid or expired token');
  }
});

io.on('connection', (socket) => {
  socket.join(roomOf(socket.data.account));
  if (socket.data.expiresAt === null) return;
  // setTimeout holds at most 2^31 - 1 ms (24.8 days); bench-ref's tokens live a day.
  const left = Math.min(2 ** 31 - 1, Math.max(0, socket.data.expiresAt - Date.now()));
  const expiry = setTimeout(() => socket.disconnect(true), left);
  socket.on('disconnect', () => clearTimeout(expiry));
});

http.listen(PORT, '127.0.0.1', () => {
  console.log(`fanout-ref listening on http://127.0.0.1:${PORT} (pid ${process.pid}, data ${dir})`);
});
