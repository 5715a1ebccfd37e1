// A fast webhook receiver for the bench, run as its own `node` process so that answering
// POSTs does not take event-loop time from the handlers under test. It answers every POST
// with 200 "ok" (keep-alive), counts them, and reports the counts on GET /__stats.
// Plain JavaScript on purpose: it starts in a few milliseconds and needs no loader.
import { createServer } from 'node:http';

let received = 0;
let bytes = 0;
const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ received, bytes }));
    return;
  }
  req.on('data', (chunk) => (bytes += chunk.length));
  req.on('end', () => {
    received += 1;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
// Longer than any pause between batches, so connections are reused as a real receiver's would be.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The bench holds our stdin open: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
