import { addressBlockReason, hostnameBlockReason, unbracket } from '../../connectors/http/address-policy.ts';
import { ValidationError } from '../../engine/errors/app-error.ts';
import { isIP } from 'node:net';

/**
 * Checks an endpoint URL when it is registered, so that the admin hears at once what deliveries
 * would be refused for: http(s) only, no credentials in it, and not a private, loopback or
 * metadata host unless HTTP_ALLOW_HOSTS names it. Names are resolved only when sending (the
 * safe client checks every address then, and pins the connection to them).
 */
export function checkEndpointUrl(raw: string, allowHosts: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ValidationError(`${raw} is not a web address`, { details: [{ path: 'url', message: 'not a valid URL' }] });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('the address must start with https:// (or http://)', {
      details: [{ path: 'url', message: 'only http and https' }],
    });
  if (url.username !== '' || url.password !== '')
    throw new ValidationError('put no user name or password in the address: the signature proves who sends', {
      details: [{ path: 'url', message: 'credentials in the URL' }],
    });
  const host = unbracket(url.hostname);
  const allowed = allowHosts.some((h) => h.toLowerCase() === host.toLowerCase());
  const reason = allowed ? undefined : isIP(host) !== 0 ? addressBlockReason(host) : hostnameBlockReason(host);
  if (reason !== undefined) {
    throw new ValidationError(
      `${host} is a private or internal address (${reason.replace(/_/g, ' ')}): this server does not send webhooks there unless its HTTP_ALLOW_HOSTS setting names it`,
      {
        details: [{ path: 'url', message: `blocked address: ${reason}` }],
      },
    );
  }
  return url.href;
}
