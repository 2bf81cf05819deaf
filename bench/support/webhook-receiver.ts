/*
 * The service the ingress bench's webhook channel replies to, a process of its own
 * (bench/ingress.bench.ts): its HTTP server costs CPU that the receiving service's machine pays,
 * not the product's event loop. Answers every POST 200 `{}` once the body is read. Prints
 * `{"port": N}` once listening; exits when its standard input closes (the bench ended or died).
 */
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ port: (server.address() as { port: number }).port }));
});
process.stdin.resume();
process.stdin.on('close', () => process.exit(0));
