import net from 'node:net';

/**
 * A TCP port free on 127.0.0.1 at this moment, for a server that must be told its port before
 * it starts (a webhook receiver a fake forge delivers to, a redis-server).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
