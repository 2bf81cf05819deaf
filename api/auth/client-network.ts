import { isIPv4, isIPv6 } from 'node:net';

/** Hextets that make an IPv6 /64: the smallest network a host is usually given. */
const IPV6_NETWORK_HEXTETS = 4;
const IPV4_MAPPED = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i;

/**
 * What rate limits count as one client: an IPv4 address as is, an IPv6 address by its /64. One
 * IPv6 host (a cheap server, a home line) is routinely given a whole /64, 2^64 addresses: keyed
 * on the full address, a guesser could take a fresh one for every try and never be counted.
 * An IPv4 address written as IPv6 (`::ffff:192.0.2.1`, as a dual-stack socket reports it) counts
 * as that IPv4 address. Anything else (no address known) is returned unchanged.
 */
export function clientNetwork(address: string): string {
  const mapped = IPV4_MAPPED.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return address;
  // Drop a zone (fe80::1%eth0) and expand the "::" run to its zero hextets.
  const [head = '', tail] = address.split('%')[0]!.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const hextets = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${hextets
    .slice(0, IPV6_NETWORK_HEXTETS)
    .map((h) => h.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
