// Connects to the service with an access token and prints, one JSON object per line:
//   {"connected": true}                        once the socket is accepted
//   {"event": name, "payload": {...}}          the first event it receives, then exits 0
//   {"refused": message, "data": {...}}        if the connection is refused (exit 1)
// Usage: node first-event.mjs <service url> <access token>
import { io } from "socket.io-client";

const [url, token] = process.argv.slice(2);
const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
const print = (value) => process.stdout.write(JSON.stringify(value) + "\n");
const timer = setTimeout(() => {
  print({ timeout: true });
  socket.close();
  process.exit(2);
}, 15000);

socket.on("connect", () => print({ connected: true }));
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
