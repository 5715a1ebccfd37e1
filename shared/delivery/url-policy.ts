import ipaddr from 'ipaddr.js';
import { classifyAddress } from './address-policy';

/** What a deployment lets webhook URLs point at (the local stack allows both). */
export interface UrlPolicy {
  allowHttp: boolean;
  allowLoopback: boolean;
}

export type UrlCheck =
  | { ok: true; url: URL }
  | { ok: false; code: 'invalid_request' | 'blocked_address'; message: string };

export const MAX_URL_LENGTH = 2048;

// C0 and C1 controls, DEL, and every Unicode space (\s). WHATWG parsing would
// silently strip or percent-encode some of these, so the stored URL would not be
// the one the user typed; refusing them is clearer.
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/u;

// Names that only mean something inside a private network (RFC 6762, RFC 8375,
// ICANN's reserved .internal, and common corporate conventions). A public
// receiver never lives under them, and they often reach internal services.
const PRIVATE_SUFFIXES = ['internal', 'local', 'localdomain', 'home.arpa', 'intranet', 'corp', 'lan'];

function invalid(message: string): UrlCheck {
  return { ok: false, code: 'invalid_request', message };
}

function blocked(message: string): UrlCheck {
  return { ok: false, code: 'blocked_address', message };
}

function hasSuffix(hostname: string, suffix: string): boolean {
  return hostname === suffix || hostname.endsWith(`.${suffix}`);
}

/**
 * Checks a webhook URL when it is registered or changed, before any request is
 * made. Only the URL itself is judged: IP literals (in any spelling WHATWG URL
 * accepts, such as `http://2130706433/`) and names that are private by
 * construction. Where a public-looking name resolves to is checked at connect
 * time by the sender, since DNS can change after registration.
 *
 * @returns the parsed URL, or a contract error code with a sentence saying what to change
 */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  if (typeof raw !== 'string') return invalid('The URL must be a string.');
  if (raw.length === 0) return invalid('The URL is empty; give the full https:// address of your receiver.');
  if (raw.length > MAX_URL_LENGTH) {
    return invalid(`The URL is ${raw.length} characters long; use one of at most ${MAX_URL_LENGTH} characters.`);
  }
  if (WHITESPACE_OR_CONTROL.test(raw)) {
    return invalid('The URL contains whitespace or a control character; remove it, or percent-encode it if it belongs in the path or query.');
  }

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return invalid('The URL is not an absolute URL; give the full address, such as https://hooks.example.com/lms.');
  }

  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    return invalid(
      policy.allowHttp
        ? `The URL uses ${url.protocol.replace(/:$/, '')}; use https (or http).`
        : `The URL uses ${url.protocol.replace(/:$/, '')}; this deployment only delivers to https URLs.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    return invalid('The URL contains a username or password; remove it. Receivers authenticate deliveries by their signature.');
  }
  // WHATWG drops an empty fragment from `hash`, so look at the text too.
  if (url.hash !== '' || raw.includes('#')) {
    return invalid('The URL has a #fragment, which is never sent to the receiver; remove it.');
  }

  // A trailing dot is the same DNS name (`localhost.` is `localhost`), so it must
  // not slip past the name rules below.
  const hostname = url.hostname.replace(/\.+$/, '');
  if (hostname === '') return invalid('The URL has no host; give the host name of your receiver.');

  // WHATWG has already turned every IPv4 spelling (decimal, hex, octal, short)
  // into dotted decimal and bracketed every IPv6 literal.
  const ipLiteral = hostname.startsWith('[')
    ? hostname.slice(1, -1)
    : ipaddr.IPv4.isValidFourPartDecimal(hostname)
      ? hostname
      : null;
  if (ipLiteral !== null) {
    const verdict = classifyAddress(ipLiteral, policy);
    if (verdict.blocked) {
      return blocked(
        `The URL's host ${ipLiteral} is in the blocked address range ${verdict.range}; use a public address or host name.`,
      );
    }
    return { ok: true, url };
  }

  if (hasSuffix(hostname, 'localhost')) {
    if (policy.allowLoopback) return { ok: true, url };
    return blocked(`The URL's host ${hostname} is a loopback name, which this deployment does not deliver to; use a public host name.`);
  }
  const suffix = PRIVATE_SUFFIXES.find((s) => hasSuffix(hostname, s));
  if (suffix !== undefined) {
    return blocked(`The URL's host ${hostname} is under .${suffix}, a private name that is not reachable from the internet; use a public host name.`);
  }
  if (!hostname.includes('.')) {
    return blocked(`The URL's host ${hostname} has no dot, so it can only be a local name; use a fully qualified public host name.`);
  }
  return { ok: true, url };
}
