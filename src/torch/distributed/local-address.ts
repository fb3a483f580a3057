// The local address that routes to the master: Gloo must listen on an address the other ranks can
// reach, and with several interfaces (or network namespaces) the hostname's address may not be it.
// Connecting a UDP socket sends nothing; it only asks the kernel for the route.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import net from 'node:net';

export async function localAddressToward(host: string, port: number): Promise<string> {
  const address = net.isIP(host) ? host : (await lookup(host)).address;
  const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(port, address, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
