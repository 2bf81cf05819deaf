import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpConnectionError } from './http-request-errors.ts';
import { SafeHttpClient } from './safe-http-client.ts';

// A throwaway self-signed certificate for `public.test`, made for this test only (openssl req -x509, 100 years).
// Being self-signed is the point: the client must refuse it, proving verification stays on.
const KEY = `-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQC/Zbu+oyPN+29y
QOHGYKMGg+JRDS3TVdF3XFNQvl08hWZcENODD3pze6GomTIvCIB3fJkyAJkj1Tif
4e5Esufnfi5mknLcXeMNC81rkEnSL7S8MbKSHJs0gChT8reP9RSCD+PANSdZjXaI
+p3YvewuFQbLk9HEAJautw69WObZfqVuYmLrWbKgQjTQPptarNGf54T1yH5hTDkg
WgsU4OP8SU+gO014OPyAYNiXHxYl23iNR9Jqhm6K4Jaq/ou8xD3WLEvXny7ubQ/f
RGVtJ6lj5u8CFFzzhiI/1BmkCPfeSoqcw+8/xcce+ZqYNw7h524UCFcp+v6J1IXj
V1mIp5RvAgMBAAECggEAWB1Ca1gY5j4gxyVWq+kWdKvn16+tDrPeHMjs9GnHa9Lw
VmdKsPZBxgO/X2qz31JXLms27f23gvcpO/YcJxWETR9axk8awRgaLQnnduM1ESZ0
WwW4M6smyutLZaaC2qwWVnBxRi5SYNiPHy3d2IhLQMXeXH+/nTA2LtZI22Qf1zW5
TMTxedlgwRRpDbU9CiFmkzkc2d9Lv88xqYahF/ZxLN0OYdP6gXIy6RI09j7U9wpM
gQMvFJ9DhzAYTzqj/6GnIEKrRJ08pgCaGSZ3grEONHBu21SZxn71ypzmzuETn3xq
QhcQ3/MjllfD9jCYDR45eoUhK54sfCHN7RjxdnZ7yQKBgQD4kw7jQ6gZrqG/rtyk
96gYHSXJKmqbHzHejM75GmmTLiPHzCro/wwi7t/Y+t2PK6Bhz+OkKy8YgsCQycxo
DH0WYzb9GJHeLzEoj6LDXmbdT1aK/zXPX5IEUgQEWf/x6A+j7nOjUVi9JqYKFJon
XPredHZDj6pxDIglhSd+mTpuaQKBgQDFHWvBM73Gyr921s6Zn47nD343BQqHCjsX
v3q9ez+dplaLm/5EG81atrI25d4rCot+s6dE95puzKMMya46ZEUCbjRIIUW4Z3TR
pavVrZAmekzZUw9Qf8QkKRLO+0WFJQcf5feWiLjwjcrLg4Tj6DpolAwbpgd/WM16
EtNnbYdBFwKBgGFor4Lbtnop9vS4v3peGp8ofPAyEQis1swRfeIcOZcVk6vuFDqu
B8GAvnO3Cy/ZtsXdw6VHzvLZ+kBC9Dkp+7LUOm5APJlHAQqWDwBkdAbx2kYp8JpN
J1lOEojqA+R2PfrNrL8pV474IET/AdG/HAgkt1uOZwpaENgzL+Dqhv1RAoGAFMbx
IMBPdLDSVbh2toK3EWv0peAGKA3QBMTOL0LahceOv9CFkLBNiQ5Q4rCAJpFJ+uT8
8KwYvy0a0rI/hzAihgsPv7qiGrns+lw4LKHK3ANwLkgvCREun5EkxmR+A3bPtXEM
E/X9aH3JroICc/N6lKNmU1PA3o+BuSha2EAXTakCgYBDUir6Gb/COiRLT+p+FBt/
3o3lSeZGXCmK3k0SwfeJ0d9N1b5yPNToDorQmQjPdKiVtkKhvhykucW80VO1FX6U
Yf9+5zbIgopVHpL8zMw+sIAWLqaMwlvmbWFDWNTnRSRcZmAWFUy4XhrfNDdy0ulU
AsOKweHzhN+o6Ml8YMovHA==
-----END PRIVATE KEY-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIDJzCCAg+gAwIBAgIUB3E5/6xtyel/H1CkmcFwcguZNoEwDQYJKoZIhvcNAQEL
BQAwFjEUMBIGA1UEAwwLcHVibGljLnRlc3QwIBcNMjYxMTI1MjMxMDE2WhgPMjEy
NjExMDEyMzEwMTZaMBYxFDASBgNVBAMMC3B1YmxpYy50ZXN0MIIBIjANBgkqhkiG
9w0BAQEFAAOCAQ8AMIIBCgKCAQEAv2W7vqMjzftvckDhxmCjBoPiUQ0t01XRd1xT
UL5dPIVmXBDTgw96c3uhqJkyLwiAd3yZMgCZI9U4n+HuRLLn534uZpJy3F3jDQvN
a5BJ0i+0vDGykhybNIAoU/K3j/UUgg/jwDUnWY12iPqd2L3sLhUGy5PRxACWrrcO
vVjm2X6lbmJi61myoEI00D6bWqzRn+eE9ch+YUw5IFoLFODj/ElPoDtNeDj8gGDY
lx8WJdt4jUfSaoZuiuCWqv6LvMQ91ixL158u7m0P30RlbSepY+bvAhRc84YiP9QZ
pAj33kqKnMPvP8XHHvmamDcO4eduFAhXKfr+idSF41dZiKeUbwIDAQABo2swaTAd
BgNVHQ4EFgQUQo6qu5VN0CUsIzHYXNgK0QVAtnowHwYDVR0jBBgwFoAUQo6qu5VN
0CUsIzHYXNgK0QVAtnowDwYDVR0TAQH/BAUwAwEB/zAWBgNVHREEDzANggtwdWJs
aWMudGVzdDANBgkqhkiG9w0BAQsFAAOCAQEAcJMxcNOJfnZZghjv4h4+vwfdVfy2
L6Ezy/C4OnGXFN2nkPupKS04A4CD2DoNIoxsZ42urpQu6La8Boq6+tYgQvONXJuV
GW9OxRSQGVP5F+CJomUGUGg2VOa5wFqRIo1YNR9R43CZ1v/bZsOOsgssZHzMNREX
okQcQVNjKDcz9QgyRr9nHu+QTQnDf6j51cVgOE8yqS8PXKmQ52bli/O153/M5GhI
lKwKL0ul5pScsFvNVE6ih32YVkfdxSwbDrw9g92SqiMUV/PrSKLzD58Z/Euh4Cmo
8uqVbRgaDh5BlZN+kEuh/xAA8p1kT+LavHF8vWhNZGmuwFLuxJwPASaf5g==
-----END CERTIFICATE-----`;

let server: https.Server;
let port: number;
const serverNames: string[] = [];

beforeAll(async () => {
  const context = tls.createSecureContext({ key: KEY, cert: CERT });
  server = https.createServer(
    {
      key: KEY,
      cert: CERT,
      // Called with the ClientHello's server name, before the client gets to refuse the certificate.
      SNICallback: (servername, callback) => {
        serverNames.push(servername);
        callback(null, context);
      },
    },
    (_req, res) => res.end('should not be reached'),
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('SafeHttpClient over HTTPS', () => {
  describe('when the host name is pinned to a vetted address', () => {
    it('dials that address, sends the host name as the TLS server name, and still verifies the certificate', async () => {
      const client = new SafeHttpClient({ allowHosts: ['public.test'], lookup: async () => [{ address: '127.0.0.1', family: 4 }] });
      const err = await client.request({ method: 'GET', url: `https://public.test:${port}/` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpConnectionError);
      expect((err as Error).cause).toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
      expect(serverNames).toEqual(['public.test']);
    });
  });
});
