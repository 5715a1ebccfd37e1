/**
 * `npm run receiver`: a webhook receiver for trying the local stack. It prints each request,
 * verifies its signature when WEBHOOK_SECRET is set (with the standardwebhooks package, as a
 * real receiver would), and answers RECEIVER_STATUS (default 200). Loopback only.
 */
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const port = Number(process.env.RECEIVER_PORT ?? 4000);
const status = Number(process.env.RECEIVER_STATUS ?? 200);
const secret = process.env.WEBHOOK_SECRET;
const verifier = secret ? new Webhook(secret) : null;

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let verdict = 'signature not checked (set WEBHOOK_SECRET)';
    if (verifier) {
      try {
        verifier.verify(body, req.headers as Record<string, string>);
        verdict = 'signature verified';
      } catch (error) {
        verdict = `signature INVALID: ${(error as Error).message}`;
      }
    }
    console.log(`\n${new Date().toISOString()} ${req.method} ${req.url}  webhook-id=${req.headers['webhook-id']}  ${verdict}`);
    try {
      console.log(JSON.stringify(JSON.parse(body), null, 2));
    } catch {
      console.log(body);
    }
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'not ok');
  });
}).listen(port, '127.0.0.1', () => console.log(`Receiver on http://127.0.0.1:${port}/ answering ${status}. Ctrl-C stops it.`));
