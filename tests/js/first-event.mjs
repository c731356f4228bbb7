// Connects to the service with an access token and prints, one JSON object per line:
//   {"connected": true}                        once the socket is accepted
//   {"event": name, "payload": {...}}          the first event it receives, then exits 0
//   {"refused": message, "data": {...}}        if the connection is refused (exit 1)
// Usage: node first-event.mjs <Socket.io url> <access token> [websocket|default]
//   websocket (the default here): the WebSocket transport only; default: the client's own
//   defaults (HTTP long-polling first, then the upgrade to WebSocket), as a browser page has.
import { io } from "socket.io-client";

const [url, token, mode = "websocket"] = process.argv.slice(2);
const options = { auth: { token }, reconnection: false };
if (mode === "websocket") options.transports = ["websocket"];
const socket = io(url, options);
let firstTransport = null;  // what the connection opened on, before any upgrade
socket.io.on("open", () => { firstTransport = socket.io.engine.transport.name; });
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const timer = setTimeout(() => {
  print({ timeout: true });
  socket.close();
  process.exit(2);
}, 15000);

socket.on("connect", () => print({ connected: true, transport: firstTransport }));
socket.on("connect_error", (err) => {
  print({ refused: err.message, data: err.data ?? null });
  clearTimeout(timer);
  socket.close();
  process.exitCode = 1;
});
socket.onAny((event, payload) => {
  print({ event, payload });
  clearTimeout(timer);
  socket.close();
});
