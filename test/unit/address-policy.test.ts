// Pure decisions only: nothing in this file resolves a name or opens a socket.
import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../shared/delivery/address-policy';
import { checkWebhookUrl, type UrlPolicy } from '../../shared/delivery/url-policy';

const loopbackBlocked = { allowLoopback: false };
const loopbackAllowed = { allowLoopback: true };

describe('classifyAddress', () => {
  // [address, allowLoopback, expected range fragment or null for allowed]
  const cases: [string, boolean, string | null][] = [
    ['0.0.0.0', false, '0.0.0.0/8'],
    ['10.1.2.3', false, '10.0.0.0/8'],
    ['100.64.0.1', false, '100.64.0.0/10'],
    ['100.127.255.255', false, '100.64.0.0/10'],
    ['100.128.0.1', false, null],
    ['127.0.0.1', false, '127.0.0.0/8'],
    ['127.0.0.1', true, null],
    ['127.255.0.9', true, null],
    ['169.254.169.254', false, '169.254.0.0/16'],
    ['172.16.0.1', false, '172.16.0.0/12'],
    ['172.31.255.255', false, '172.16.0.0/12'],
    ['172.32.0.1', false, null],
    ['192.0.0.8', false, '192.0.0.0/24'],
    ['192.0.2.1', false, '192.0.2.0/24'],
    ['192.88.99.1', false, '192.88.99.0/24'],
    ['192.168.1.1', false, '192.168.0.0/16'],
    ['198.18.0.1', false, '198.18.0.0/15'],
    ['198.19.255.255', false, '198.18.0.0/15'],
    ['198.51.100.1', false, '198.51.100.0/24'],
    ['203.0.113.1', false, '203.0.113.0/24'],
    ['224.0.0.1', false, '224.0.0.0/4'],
    ['239.255.255.250', false, '224.0.0.0/4'],
    ['240.0.0.1', false, '240.0.0.0/4'],
    ['255.255.255.255', false, '240.0.0.0/4'],
    ['93.184.216.34', false, null],
    ['8.8.8.8', false, null],
    ['::', false, '::/128'],
    ['::1', false, '::1/128'],
    ['::1', true, null],
    ['fc00::1', false, 'fc00::/7'],
    ['fd00:ec2::254', false, 'fc00::/7'],
    ['fe80::1', false, 'fe80::/10'],
    ['fe80::1%eth0', false, 'fe80::/10'],
    ['fec0::1', false, 'fec0::/10'],
    ['ff02::1', false, 'ff00::/8'],
    ['2001:db8::1', false, '2001:db8::/32'],
    ['100::1', false, '100::/64'],
    ['2001:2::1', false, 'benchmarking'],
    ['2606:4700::1111', false, null],
    ['2001:4860:4860::8888', false, null],
    // IPv6 forms that carry an IPv4 address are judged by that address.
    ['::ffff:10.0.0.1', false, '10.0.0.0/8'],
    ['::ffff:a9fe:a9fe', false, '169.254.0.0/16'],
    ['::ffff:127.0.0.1', false, '127.0.0.0/8'],
    ['::ffff:127.0.0.1', true, null],
    ['::ffff:8.8.8.8', false, null],
    ['::ffff:0:a00:1', false, '10.0.0.0/8'],
    ['::a00:1', false, '10.0.0.0/8'],
    ['64:ff9b::a9fe:a9fe', false, 'NAT64'],
    ['64:ff9b::808:808', false, null],
    ['64:ff9b:1::1', false, 'local-use NAT64'],
    ['2002:c0a8:0101::', false, '6to4'],
    ['2002:0808:0808::1', false, null],
    // Teredo client 192.168.1.1, stored inverted (3f57:fefe).
    ['2001:0:4136:e378:8000:63bf:3f57:fefe', false, 'Teredo'],
    // Teredo client 8.8.8.8 (f7f7:f7f7).
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', false, null],
    // Loopback seen through a tunnel never reaches this machine's loopback.
    ['64:ff9b::7f00:1', true, '127.0.0.0/8'],
    ['not-an-ip', false, 'invalid'],
    ['', false, 'invalid'],
    ['1.2.3.4.5', false, 'invalid'],
  ];

  it.each(cases)('%s (allowLoopback %s) → %s', (ip, allowLoopback, range) => {
    const verdict = classifyAddress(ip, { allowLoopback });
    if (range === null) {
      expect(verdict).toEqual({ blocked: false });
    } else {
      expect(verdict.blocked).toBe(true);
      expect(verdict.blocked && verdict.range).toContain(range);
    }
  });

  it('says which embedded form and address it unwrapped', () => {
    expect(classifyAddress('::ffff:10.0.0.1', loopbackBlocked)).toEqual({
      blocked: true,
      range: '10.0.0.0/8 (private) embedded as IPv4-mapped 10.0.0.1',
    });
  });

  it('uses the policy only for loopback', () => {
    expect(classifyAddress('10.0.0.1', loopbackAllowed).blocked).toBe(true);
    expect(classifyAddress('169.254.169.254', loopbackAllowed).blocked).toBe(true);
  });
});

describe('checkWebhookUrl', () => {
  const local: UrlPolicy = { allowHttp: true, allowLoopback: true };
  const strictLoopback: UrlPolicy = { allowHttp: true, allowLoopback: false };
  const httpsOnly: UrlPolicy = { allowHttp: false, allowLoopback: false };

  type Expected = 'ok' | 'blocked_address' | 'invalid_request';
  // [url, policy, expected, a fragment of the message (or of the normalised href when ok)]
  const cases: [string, UrlPolicy, Expected, string?][] = [
    // Every IPv4 spelling WHATWG accepts is normalised before classification.
    ['http://2130706433/', strictLoopback, 'blocked_address', '127.0.0.0/8'],
    ['http://2130706433/', local, 'ok', 'http://127.0.0.1/'],
    ['http://2852039166/', local, 'blocked_address', '169.254.0.0/16'],
    ['http://0xa9.0xfe.0xa9.0xfe/', local, 'blocked_address', '169.254.0.0/16'],
    ['http://0177.0.0.1/', strictLoopback, 'blocked_address', '127.0.0.0/8'],
    ['http://10.1/', local, 'blocked_address', '10.0.0.0/8'],
    ['http://0/', local, 'blocked_address', '0.0.0.0/8'],
    ['http://127.0.0.1./', strictLoopback, 'blocked_address', '127.0.0.0/8'],
    ['http://[::1]/', strictLoopback, 'blocked_address', '::1/128'],
    ['http://[::1]:8080/hook', local, 'ok'],
    ['http://[::ffff:10.0.0.1]/', local, 'blocked_address', '10.0.0.0/8'],
    ['http://[::ffff:a9fe:a9fe]/', local, 'blocked_address', '169.254.0.0/16'],
    ['http://[64:ff9b::a9fe:a9fe]/', local, 'blocked_address', 'NAT64'],
    ['http://[2002:c0a8:0101::]/', local, 'blocked_address', '6to4'],
    ['http://[2001:0:4136:e378:8000:63bf:3f57:fefe]/', local, 'blocked_address', 'Teredo'],
    ['http://[fd00:ec2::254]/', local, 'blocked_address', 'fc00::/7'],
    ['http://[fe80::1]/', local, 'blocked_address', 'fe80::/10'],
    ['http://[fec0::1]/', local, 'blocked_address', 'fec0::/10'],
    ['http://[ff02::1]/', local, 'blocked_address', 'ff00::/8'],
    ['http://[2001:db8::1]/', local, 'blocked_address', '2001:db8::/32'],
    ['http://[100::1]/', local, 'blocked_address', '100::/64'],
    ['http://[::]/', local, 'blocked_address', '::/128'],
    ['http://100.64.0.1/', local, 'blocked_address', '100.64.0.0/10'],
    ['http://169.254.169.254/latest/meta-data/', local, 'blocked_address', '169.254.0.0/16'],
    ['http://172.16.0.1/', local, 'blocked_address', '172.16.0.0/12'],
    ['http://172.31.255.255/', local, 'blocked_address', '172.16.0.0/12'],
    ['http://192.0.0.8/', local, 'blocked_address', '192.0.0.0/24'],
    ['http://192.0.2.1/', local, 'blocked_address', '192.0.2.0/24'],
    ['http://192.88.99.1/', local, 'blocked_address', '192.88.99.0/24'],
    ['http://192.168.1.1/', local, 'blocked_address', '192.168.0.0/16'],
    ['http://198.18.0.1/', local, 'blocked_address', '198.18.0.0/15'],
    ['http://198.51.100.1/', local, 'blocked_address', '198.51.100.0/24'],
    ['http://203.0.113.1/', local, 'blocked_address', '203.0.113.0/24'],
    ['http://224.0.0.1/', local, 'blocked_address', '224.0.0.0/4'],
    ['http://240.0.0.1/', local, 'blocked_address', '240.0.0.0/4'],
    ['http://255.255.255.255/', local, 'blocked_address', '240.0.0.0/4'],
    // Public addresses, including the neighbours of blocked ranges.
    ['http://93.184.216.34/', strictLoopback, 'ok'],
    ['http://8.8.8.8/', strictLoopback, 'ok'],
    ['http://[2606:4700::1111]/', strictLoopback, 'ok'],
    ['http://172.32.0.1/', strictLoopback, 'ok'],
    ['http://100.128.0.1/', strictLoopback, 'ok'],
    // Loopback follows the policy, by address and by name.
    ['http://127.0.0.1:3000/hook', local, 'ok'],
    ['http://127.0.0.1/', strictLoopback, 'blocked_address', '127.0.0.0/8'],
    ['http://127.1/', local, 'ok', 'http://127.0.0.1/'],
    ['http://127.1/', strictLoopback, 'blocked_address', '127.0.0.0/8'],
    ['http://localhost:4000/', local, 'ok'],
    ['http://localhost/', strictLoopback, 'blocked_address', 'loopback name'],
    ['http://localhost./', strictLoopback, 'blocked_address', 'loopback name'],
    ['http://LOCALHOST/', strictLoopback, 'blocked_address', 'loopback name'],
    ['http://foo.localhost/', local, 'ok'],
    ['http://foo.localhost/', strictLoopback, 'blocked_address', 'loopback name'],
    // Private names and single labels.
    ['http://metadata/', local, 'blocked_address', 'no dot'],
    ['http://metadata./computeMetadata/v1/', local, 'blocked_address', 'no dot'],
    ['http://x.internal/', local, 'blocked_address', '.internal'],
    ['http://metadata.google.internal/', local, 'blocked_address', '.internal'],
    ['http://printer.local/', local, 'blocked_address', '.local'],
    ['http://nas.home.arpa/', local, 'blocked_address', '.home.arpa'],
    ['http://wiki.corp/', local, 'blocked_address', '.corp'],
    ['http://router.lan./', local, 'blocked_address', '.lan'],
    ['http://box.localdomain/', local, 'blocked_address', '.localdomain'],
    ['http://portal.intranet/', local, 'blocked_address', '.intranet'],
    ['https://hooks.example.com/x', httpsOnly, 'ok', 'https://hooks.example.com/x'],
    ['https://hooks.example.com/x?tenant=acme', httpsOnly, 'ok'],
    ['https://HOOKS.Example.com:8443/x', httpsOnly, 'ok', 'https://hooks.example.com:8443/x'],
    // Shape of the URL.
    ['ftp://hooks.example.com/x', local, 'invalid_request', 'ftp'],
    ['file:///etc/passwd', local, 'invalid_request', 'file'],
    ['http://hooks.example.com/x', httpsOnly, 'invalid_request', 'only delivers to https'],
    ['https://user:pass@hooks.example.com/x', local, 'invalid_request', 'username or password'],
    ['https://user@hooks.example.com/x', local, 'invalid_request', 'username or password'],
    [`https://hooks.example.com/${'a'.repeat(2049)}`, local, 'invalid_request', 'at most 2048'],
    ['https://hooks.example.com/a b', local, 'invalid_request', 'whitespace'],
    [' https://hooks.example.com/x', local, 'invalid_request', 'whitespace'],
    ['https://hooks.example.com/\tx', local, 'invalid_request', 'whitespace'],
    ['https://hooks.example.com/x\n', local, 'invalid_request', 'whitespace'],
    ['https://hooks.exa\u0000mple.com/', local, 'invalid_request', 'control character'],
    ['/relative/path', local, 'invalid_request', 'absolute'],
    ['hooks.example.com/x', local, 'invalid_request', 'absolute'],
    ['', local, 'invalid_request', 'empty'],
    ['https://hooks.example.com/x#section', local, 'invalid_request', 'fragment'],
    ['https://hooks.example.com/x#', local, 'invalid_request', 'fragment'],
  ];

  it.each(cases)('%s → %s', (raw, policy, expected, fragment) => {
    const check = checkWebhookUrl(raw, policy);
    if (expected === 'ok') {
      expect(check).toMatchObject({ ok: true });
      if (check.ok && fragment) expect(check.url.href).toBe(fragment);
    } else {
      expect(check).toMatchObject({ ok: false, code: expected });
      if (!check.ok) {
        if (fragment) expect(check.message).toContain(fragment);
        // A sentence a person can act on, not a stack trace.
        expect(check.message).toMatch(/^The URL.*\.$/);
      }
    }
  });

  it('accepts a URL of exactly 2048 characters', () => {
    const base = 'https://hooks.example.com/';
    const raw = base + 'a'.repeat(2048 - base.length);
    expect(raw).toHaveLength(2048);
    expect(checkWebhookUrl(raw, httpsOnly).ok).toBe(true);
  });

  it('refuses a value that is not a string', () => {
    expect(checkWebhookUrl(42 as unknown as string, local)).toMatchObject({ ok: false, code: 'invalid_request' });
  });

  it('names the range in a blocked_address message', () => {
    const check = checkWebhookUrl('http://2130706433/', strictLoopback);
    expect(check).toEqual({
      ok: false,
      code: 'blocked_address',
      message:
        "The URL's host 127.0.0.1 is in the blocked address range 127.0.0.0/8 (loopback); use a public address or host name.",
    });
  });
});
