import { createServer } from 'node:http';

/**
 * Calibration for `npm run bench`: the cheapest possible Node HTTP/1.1 JSON endpoint (reads the POST body, answers
 * a fixed 90-byte JSON). What the bench client gets from it at the same concurrency is the ceiling that HTTP on
 * Node, on this machine, with this client, puts on ANY gateway — before GraphQL, auth, Postgres, HSM or ledger.
 * Run as a child process by run-bench; prints its port on stdout.
 */
const BODY = Buffer.from(JSON.stringify({ data: { wrapKey: { kid: 'floor', value: 'A'.repeat(54) } } }));

const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
