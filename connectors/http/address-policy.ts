import { isIP } from 'node:net';

/**
 * Which destinations a flow's HTTP request may not reach. A flow is written by a marketer, not an
 * operator, so the server's own network (loopback, private ranges, the cloud metadata service)
 * must be out of reach whatever URL or DNS answer the flow comes up with. The policy is a table
 * per address family, first match wins, and IPv6 is default-deny outside global unicast.
 */
export type BlockReason =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'shared_address_space'
  | 'multicast'
  | 'broadcast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'not_global_unicast'
  | 'unparseable_address'
  | 'internal_hostname';

interface Ipv4Rule {
  readonly cidr: string;
  readonly reason: BlockReason;
}

/** Most specific first: the metadata addresses sit inside ranges with a vaguer reason. */
const IPV4_RULES: readonly Ipv4Rule[] = [
  { cidr: '169.254.169.254/32', reason: 'metadata' }, // AWS, GCP, Azure, OpenStack…
  { cidr: '100.100.100.200/32', reason: 'metadata' }, // Alibaba Cloud
  { cidr: '0.0.0.0/8', reason: 'unspecified' }, // "this network"; 0.0.0.0 reaches localhost on Linux
  { cidr: '10.0.0.0/8', reason: 'private' },
  { cidr: '100.64.0.0/10', reason: 'shared_address_space' }, // carrier-grade NAT, often cloud-internal
  { cidr: '127.0.0.0/8', reason: 'loopback' },
  { cidr: '169.254.0.0/16', reason: 'link_local' },
  { cidr: '172.16.0.0/12', reason: 'private' },
  { cidr: '192.0.0.0/24', reason: 'reserved' }, // IETF protocol assignments
  { cidr: '192.0.2.0/24', reason: 'documentation' },
  { cidr: '192.88.99.0/24', reason: 'reserved' }, // deprecated 6to4 relay anycast
  { cidr: '192.168.0.0/16', reason: 'private' },
  { cidr: '198.18.0.0/15', reason: 'benchmarking' },
  { cidr: '198.51.100.0/24', reason: 'documentation' },
  { cidr: '203.0.113.0/24', reason: 'documentation' },
  { cidr: '224.0.0.0/4', reason: 'multicast' },
  { cidr: '255.255.255.255/32', reason: 'broadcast' },
  { cidr: '240.0.0.0/4', reason: 'reserved' },
];

/** Where an IPv6 prefix carries an IPv4 address, and at which bit it starts. */
interface Ipv6EmbeddingRule {
  readonly cidr: string;
  readonly ipv4AtBit: number;
}

/** The IPv4 address inside these is what the packets finally reach, so it is judged by the IPv4 table. */
const IPV6_EMBEDDINGS: readonly Ipv6EmbeddingRule[] = [
  { cidr: '::ffff:0:0/96', ipv4AtBit: 96 }, // IPv4-mapped
  { cidr: '::ffff:0:0:0/96', ipv4AtBit: 96 }, // IPv4-translated (SIIT)
  { cidr: '64:ff9b::/96', ipv4AtBit: 96 }, // NAT64 well-known prefix
  { cidr: '2002::/16', ipv4AtBit: 16 }, // 6to4
];

const IPV6_RULES: readonly { readonly cidr: string; readonly reason: BlockReason }[] = [
  { cidr: '::/128', reason: 'unspecified' },
  { cidr: '::1/128', reason: 'loopback' },
  { cidr: '::/96', reason: 'reserved' }, // deprecated IPv4-compatible addresses
  { cidr: '64:ff9b:1::/48', reason: 'private' }, // local-use NAT64
  { cidr: '100::/64', reason: 'reserved' }, // discard-only
  { cidr: '2001:db8::/32', reason: 'documentation' },
  { cidr: '2001::/23', reason: 'reserved' }, // IETF protocol assignments, Teredo (hides an IPv4 we cannot vet cheaply)
  { cidr: '3fff::/20', reason: 'documentation' },
  { cidr: 'fd00:ec2::254/128', reason: 'metadata' }, // AWS IMDS over IPv6
  { cidr: 'fc00::/7', reason: 'private' }, // unique local
  { cidr: 'fe80::/10', reason: 'link_local' },
  { cidr: 'fec0::/10', reason: 'private' }, // deprecated site-local
  { cidr: 'ff00::/8', reason: 'multicast' },
];

/** Everything routable on the IPv6 internet is in here; anything else is refused. */
const IPV6_GLOBAL_UNICAST = '2000::/3';

/**
 * Names that point inside a network by convention, whatever their DNS says today: refusing them
 * by name also covers resolvers (mDNS, /etc/hosts, search domains) we cannot see into.
 */
const BLOCKED_HOSTNAMES: ReadonlySet<string> = new Set(['localhost', 'metadata', 'instance-data']);
const BLOCKED_HOSTNAME_SUFFIXES: readonly string[] = [
  '.localhost',
  '.internal', // metadata.google.internal, *.ec2.internal, *.compute.internal; reserved by ICANN for private use
  '.local', // mDNS
  '.localdomain',
  '.home.arpa',
  '.intranet',
  '.private',
  '.corp',
  '.home',
  '.lan',
];

/** Why a literal IP address (v4 dotted quad, or v6 without brackets) is refused, or `undefined` if it is public. */
export function addressBlockReason(address: string): BlockReason | undefined {
  const bare = stripZone(address);
  switch (isIP(bare)) {
    case 4:
      return ipv4BlockReason(parseIpv4(bare));
    case 6:
      return ipv6BlockReason(parseIpv6(bare));
    default:
      return 'unparseable_address';
  }
}

/**
 * Why a host name (as WHATWG URL normalised it: lower case, IPv6 in brackets) is refused by name
 * alone, or `undefined` if only its DNS answer can tell. Single-label names are refused: they
 * resolve through search domains and container DNS to internal services.
 */
export function hostnameBlockReason(hostname: string): BlockReason | undefined {
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  if (isIP(unbracket(name)) !== 0) return undefined;
  if (BLOCKED_HOSTNAMES.has(name)) return 'internal_hostname';
  if (BLOCKED_HOSTNAME_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'internal_hostname';
  if (!name.includes('.')) return 'internal_hostname';
  return undefined;
}

/** `[::1]` → `::1`; anything else unchanged. */
export function unbracket(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function ipv4BlockReason(address: number): BlockReason | undefined {
  return IPV4_RULES.find((rule) => inIpv4Cidr(address, rule.cidr))?.reason;
}

function ipv6BlockReason(address: bigint): BlockReason | undefined {
  for (const { cidr, ipv4AtBit } of IPV6_EMBEDDINGS) {
    if (inIpv6Cidr(address, cidr)) {
      const ipv4 = Number((address >> BigInt(128 - ipv4AtBit - 32)) & 0xffff_ffffn);
      return ipv4BlockReason(ipv4);
    }
  }
  const rule = IPV6_RULES.find((r) => inIpv6Cidr(address, r.cidr));
  if (rule !== undefined) return rule.reason;
  return inIpv6Cidr(address, IPV6_GLOBAL_UNICAST) ? undefined : 'not_global_unicast';
}

function inIpv4Cidr(address: number, cidr: string): boolean {
  const [base, bits] = splitCidr(cidr);
  if (bits === 0) return true;
  const shift = 32 - bits;
  return address >>> shift === parseIpv4(base) >>> shift;
}

function inIpv6Cidr(address: bigint, cidr: string): boolean {
  const [base, bits] = splitCidr(cidr);
  const shift = BigInt(128 - bits);
  return address >> shift === parseIpv6(base) >> shift;
}

function splitCidr(cidr: string): [string, number] {
  const slash = cidr.lastIndexOf('/');
  return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
}

/** A dotted quad (already validated by `isIP`) as an unsigned 32-bit number. */
function parseIpv4(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** An IPv6 address (already validated by `isIP`, zone removed) as a 128-bit number. */
function parseIpv6(address: string): bigint {
  let text = address;
  // A trailing dotted quad stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(rest === undefined ? 0 : missing).fill('0'), ...restGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent === -1 ? address : address.slice(0, percent);
}
