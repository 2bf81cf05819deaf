import { promises as dns } from 'node:dns';
import type { LookupFunction } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has. Injected in tests so that none of them uses real DNS. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The operating system's resolver (getaddrinfo: /etc/hosts, then DNS), the same one `http.request` would use. */
export const systemResolver: HostResolver = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * A `lookup` for `http.request` that answers only with addresses already vetted, whatever name
 * it is asked about. Without it the socket would resolve the name a second time, and a DNS
 * server that answers a public address to the check and 127.0.0.1 to the connect (DNS
 * rebinding) would win. Node calls it with `all: true` when it races IPv4 and IPv6
 * (autoSelectFamily), and without it otherwise; both forms are answered.
 */
export function pinnedLookup(vetted: readonly ResolvedAddress[]): LookupFunction {
  return (hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? vetted.filter((a) => a.family === options.family) : vetted;
    const [first] = wanted;
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error(`no vetted IPv${String(options.family)} address for ${hostname}`);
      err.code = 'ENOTFOUND';
      callback(err, '');
      return;
    }
    if (options.all === true)
      callback(
        null,
        wanted.map((a) => ({ address: a.address, family: a.family })),
      );
    else callback(null, first.address, first.family);
  };
}
