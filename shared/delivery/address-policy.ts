import ipaddr from 'ipaddr.js';

/**
 * Which addresses a deployment may send to. Loopback is the only range a
 * deployment can open up: the local stack delivers to receivers on this machine.
 */
export interface AddressPolicy {
  allowLoopback: boolean;
}

/** `range` names the blocked range in words a log reader understands, e.g. `10.0.0.0/8 (private)`. */
export type AddressVerdict = { blocked: false } | { blocked: true; range: string };

type Address = ipaddr.IPv4 | ipaddr.IPv6;

interface BlockedRange {
  cidr: [Address, number];
  label: string;
  /** Loopback is blocked unless the policy allows it; everything else always is. */
  loopback?: boolean;
}

function ranges(list: [string, string, boolean?][]): BlockedRange[] {
  return list.map(([cidr, label, loopback]) => ({ cidr: ipaddr.parseCIDR(cidr), label, loopback }));
}

// Written out rather than left to ipaddr's range() alone, so the refusal names an
// exact CIDR and the list does not shrink if a library upgrade renames a range.
const IPV4_BLOCKED = ranges([
  ['0.0.0.0/8', 'this network / unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback', true],
  ['169.254.0.0/16', 'link-local, cloud metadata'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', '6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved, broadcast'],
]);

const IPV6_BLOCKED = ranges([
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback', true],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'],
  ['100::/64', 'discard-only'],
  // RFC 8215 local-use NAT64: the operator chooses where the IPv4 address sits,
  // so it cannot be unwrapped reliably, and it is never globally reachable anyway.
  ['64:ff9b:1::/48', 'local-use NAT64'],
]);

// ipaddr.js range names that are not globally reachable and not covered above.
// Anycast services it names (as112, amt) are public and stay allowed.
const IPADDR_BLOCKED_RANGES = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'deprecatedSiteLocal',
  'discard',
  'benchmarking',
  'deprecatedOrchid',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
  'segmentRouting',
]);

const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16');
const TEREDO = ipaddr.parseCIDR('2001::/32');
const IPV4_MAPPED = ipaddr.parseCIDR('::ffff:0:0/96');
const IPV4_TRANSLATED = ipaddr.parseCIDR('::ffff:0:0:0/96');
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

interface Embedded {
  ipv4: ipaddr.IPv4;
  form: string;
  /**
   * Tunnelled forms (NAT64, 6to4, Teredo) leave this machine, so an embedded
   * loopback there is never "our" loopback: it is refused whatever the policy.
   */
  tunnelled: boolean;
}

function v4FromParts(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

/** The IPv4 address an IPv6 address carries (and routes to), if it is one of the known embeddings. */
function embeddedIPv4(ip: ipaddr.IPv6): Embedded | null {
  const p = ip.parts as number[];
  const at = (i: number): number => p[i] ?? 0;
  if (ip.match(IPV4_MAPPED)) return { ipv4: v4FromParts(at(6), at(7)), form: 'IPv4-mapped', tunnelled: false };
  if (ip.match(IPV4_TRANSLATED)) return { ipv4: v4FromParts(at(6), at(7)), form: 'IPv4-translated', tunnelled: false };
  // :: and ::1 are in ::/96 too but are IPv6's own unspecified/loopback, classified by the table.
  if (ip.match(IPV4_COMPATIBLE) && (at(6) !== 0 || at(7) > 1)) {
    return { ipv4: v4FromParts(at(6), at(7)), form: 'IPv4-compatible', tunnelled: false };
  }
  if (ip.match(NAT64)) return { ipv4: v4FromParts(at(6), at(7)), form: 'NAT64', tunnelled: true };
  if (ip.match(SIX_TO_FOUR)) return { ipv4: v4FromParts(at(1), at(2)), form: '6to4', tunnelled: true };
  // Teredo stores the client's address inverted so NATs do not rewrite it.
  if (ip.match(TEREDO)) {
    return { ipv4: v4FromParts(at(6) ^ 0xffff, at(7) ^ 0xffff), form: 'Teredo', tunnelled: true };
  }
  return null;
}

function classifyParsed(ip: Address, allowLoopback: boolean): AddressVerdict {
  const table = ip.kind() === 'ipv4' ? IPV4_BLOCKED : IPV6_BLOCKED;
  for (const entry of table) {
    if (entry.cidr[0].kind() !== ip.kind() || !ip.match(entry.cidr)) continue;
    if (entry.loopback && allowLoopback) return { blocked: false };
    return { blocked: true, range: `${entry.cidr[0].toString()}/${entry.cidr[1]} (${entry.label})` };
  }
  const named = ip.range();
  if (IPADDR_BLOCKED_RANGES.has(named)) return { blocked: true, range: named };
  if (ip.kind() === 'ipv6') {
    const embedded = embeddedIPv4(ip as ipaddr.IPv6);
    if (embedded) {
      const inner = classifyParsed(embedded.ipv4, allowLoopback && !embedded.tunnelled);
      if (inner.blocked) {
        return { blocked: true, range: `${inner.range} embedded as ${embedded.form} ${embedded.ipv4.toString()}` };
      }
    }
  }
  return { blocked: false };
}

/**
 * Decides whether the service may connect to `ip`. Pure: no DNS, no sockets.
 *
 * Used twice: on IP literals in a webhook URL when it is registered, and on
 * every address a hostname resolves to right before a connection, which is what
 * stops DNS names pointing at internal services. IPv6 forms that carry an IPv4
 * address (mapped, compatible, NAT64, 6to4, Teredo) are judged by that address
 * too, since that is where the packets end up.
 *
 * @param ip an IPv4 or IPv6 address (an IPv6 zone id is tolerated)
 * @returns `{blocked: false}`, or the blocked range; anything unparseable is blocked as `invalid`
 */
export function classifyAddress(ip: string, policy: AddressPolicy): AddressVerdict {
  const text = typeof ip === 'string' ? ip.trim().replace(/^\[(.*)\]$/, '$1') : '';
  if (!ipaddr.isValid(text)) return { blocked: true, range: 'invalid' };
  let parsed: Address;
  try {
    parsed = ipaddr.parse(text);
  } catch {
    return { blocked: true, range: 'invalid' };
  }
  return classifyParsed(parsed, policy.allowLoopback);
}
