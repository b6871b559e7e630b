/**
 * /healthz and /metrics over HTTP. /healthz is 200 while the last reconcile
 * succeeded, 503 before the first one or after a failure.
 */
import { createServer, type Server } from 'node:http';
import { PodpathError } from '../model/errors.js';
import type { AgentMetrics } from './metrics.js';

/** Starts the server on host:port (port 0 picks one); resolves once listening, closes when `signal` aborts. */
export async function startServer(opts: { host: string; port: number; metrics: AgentMetrics; healthy: () => boolean; signal: AbortSignal }): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      const ok = opts.healthy();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not reconciled\n');
    } else if (req.url === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new PodpathError('PP_USAGE', `cannot serve /healthz and /metrics on ${opts.host}:${opts.port}: ${e.code ?? e.message}`, { hint: 'pick another --port or --host' })));
    server.listen(opts.port, opts.host, () => resolve());
  });
  opts.signal.addEventListener('abort', () => server.close(), { once: true });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : opts.port };
}
