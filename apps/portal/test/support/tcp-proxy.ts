// A TCP pass-through the test can cut: the portal's connection to the real Temporal server goes through it, so
// `setDown(true)` is Temporal unreachable for the portal (open connections dropped, new ones refused at once) while
// the worker, on its own connection, keeps running.
import net from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  /** host:port to connect to instead of the target. */
  address: string;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const [host = '127.0.0.1', port = '7233'] = target.split(':');
  const sockets = new Set<net.Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(port), host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: own } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${own}`,
    setDown(value) {
      down = value;
      if (value) for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
