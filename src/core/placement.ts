import { NotEnoughNodesError } from './errors.js';

/** Where a node stands: its zone and its host, the failure domains placement spreads a part over. */
export interface NodeDomains {
  /** A zone (a room, a rack row, a data centre); nodes without one are in zone `default`. */
  readonly zone?: string | null | undefined;
  /** The machine; a node without one is a host of its own. */
  readonly host?: string | null | undefined;
}

/** What placement needs to know about a node. */
export interface NodeLoad extends NodeDomains {
  readonly id: string;
  readonly capacity: number;
  /** Bytes used, including shards this gateway has placed that the node has not reported yet. */
  readonly used: number;
}

export const zoneOf = (n: NodeDomains & { readonly id?: string }): string => n.zone || 'default';
export const hostOf = (n: NodeDomains & { readonly id: string }): string => n.host || `node:${n.id}`;

/** The most shards of one part a zone and a host may hold. */
export interface DomainLimits {
  readonly perZone: number;
  readonly perHost: number;
}

/**
 * Spread over failure domains: with `total` shards and D zones (hosts) able to take one, no zone (host)
 * holds more than ⌈total / D⌉. So whenever there are at least ⌈total / m⌉ hosts, no host holds more than m
 * shards and losing any one host leaves every part readable; the same for zones. With fewer domains the
 * limits still spread as evenly as the domains allow.
 */
export function domainLimits(nodes: readonly (NodeDomains & { readonly id: string })[], total: number): DomainLimits {
  const zones = new Set(nodes.map(zoneOf)).size;
  const hosts = new Set(nodes.map(hostOf)).size;
  return { perZone: Math.ceil(total / Math.max(1, zones)), perHost: Math.ceil(total / Math.max(1, hosts)) };
}

export interface PlacementOptions {
  /** Tie-breaking between equally full nodes. */
  readonly random?: () => number;
  /** Nodes holding the shards of the part that stay (a repair or a move): they count toward the limits. */
  readonly keep?: readonly (NodeDomains & { readonly id: string })[];
}

export const fillRatio = (n: NodeLoad): number => (n.capacity > 0 ? n.used / n.capacity : 1);

/**
 * Chooses `count` distinct nodes for the shards of one part, `shardBytes` each.
 *
 * Greedy least-fill within the failure-domain limits: the nodes whose fill ratio after taking a shard would
 * be lowest win, ties broken at random, skipping a node whose zone or host already holds its share of the
 * part (`domainLimits`, counting the shards in `keep`). This keeps fill ratios together on a steady cluster,
 * sends a newly joined, empty node a shard of every part until it has caught up, and never puts more of a
 * part on one host than the hosts allow. When the limits leave too few nodes (too few domains with room),
 * they are loosened one shard at a time: the part is stored, as evenly as the domains allow. Nodes without
 * room for a shard are never chosen.
 */
export function choosePlacement(nodes: readonly NodeLoad[], count: number, shardBytes: number, { random = Math.random, keep = [] }: PlacementOptions = {}): string[] {
  const candidates = nodes
    .filter((n) => n.capacity - n.used >= shardBytes)
    .map((n) => ({ node: n, score: (n.used + shardBytes) / n.capacity, tie: random() }));
  if (candidates.length < count) throw new NotEnoughNodesError(count, candidates.length);
  candidates.sort((a, b) => a.score - b.score || a.tie - b.tie);
  const limits = domainLimits([...keep, ...candidates.map((c) => c.node)], count + keep.length);
  const inZone = new Map<string, number>();
  const onHost = new Map<string, number>();
  const take = (n: NodeDomains & { readonly id: string }) => {
    inZone.set(zoneOf(n), (inZone.get(zoneOf(n)) ?? 0) + 1);
    onHost.set(hostOf(n), (onHost.get(hostOf(n)) ?? 0) + 1);
  };
  keep.forEach(take);
  const chosen = new Set<string>();
  for (let slack = 0; chosen.size < count; slack++) {
    for (const { node } of candidates) {
      if (chosen.size === count) break;
      if (chosen.has(node.id)) continue;
      if ((inZone.get(zoneOf(node)) ?? 0) >= limits.perZone + slack || (onHost.get(hostOf(node)) ?? 0) >= limits.perHost + slack) continue;
      chosen.add(node.id);
      take(node);
    }
  }
  return [...chosen];
}

/**
 * How many whole failure domains (hosts or zones, by `domainOf`) a part on `holders` can lose and still be
 * read: the largest domains are taken first, while at least `dataShards` shards remain.
 */
export function domainLossesSurvived(holders: readonly string[], dataShards: number): number {
  const counts = new Map<string, number>();
  for (const domain of holders) counts.set(domain, (counts.get(domain) ?? 0) + 1);
  let remaining = holders.length;
  let losses = 0;
  for (const c of [...counts.values()].sort((a, b) => b - a)) {
    if (remaining - c < dataShards) break;
    remaining -= c;
    losses += 1;
  }
  return losses;
}

/** Relative spread of fill ratios, (max − min) / mean, the figure the product's balance target uses. */
export function fillSpread(nodes: readonly NodeLoad[]): number {
  if (nodes.length === 0) return 0;
  const fills = nodes.map(fillRatio);
  const mean = fills.reduce((a, b) => a + b, 0) / fills.length;
  if (mean === 0) return 0;
  return (Math.max(...fills) - Math.min(...fills)) / mean;
}

/**
 * Nodes that are joining: up, and fuller nodes are waiting to hand them shards — their fill is below the mean
 * by more than `threshold` of the mean (the rebalancer's automatic start, 0.1): a node just added, until the
 * rebalancer has filled it.
 */
export function joiningNodes(nodes: readonly NodeLoad[], threshold: number): Set<string> {
  if (nodes.length < 2) return new Set();
  const mean = nodes.map(fillRatio).reduce((a, b) => a + b, 0) / nodes.length;
  if (mean === 0) return new Set();
  return new Set(nodes.filter((n) => (mean - fillRatio(n)) / mean > threshold).map((n) => n.id));
}

/** A failure domain holding more shards of one part than the live domains' limits allow. */
export interface DomainExcess {
  readonly level: 'zone' | 'machine';
  readonly domain: string;
  readonly shards: number;
  readonly limit: number;
}

/**
 * Where a part's placement breaks the failure-domain rule for the live nodes now: the zones and machines
 * holding more of its shards than `domainLimits` allows (a part placed before its nodes had labels, or
 * while domains were missing). Holders are the part's shards' nodes, with their domains.
 */
export function domainExcesses(holders: readonly (NodeDomains & { readonly id: string })[], limits: DomainLimits): DomainExcess[] {
  const excesses: DomainExcess[] = [];
  for (const [level, domainOf, limit] of [['zone', zoneOf, limits.perZone], ['machine', hostOf, limits.perHost]] as const) {
    const counts = new Map<string, number>();
    for (const h of holders) counts.set(domainOf(h), (counts.get(domainOf(h)) ?? 0) + 1);
    for (const [domain, shards] of counts) if (shards > limit) excesses.push({ level, domain, shards, limit });
  }
  return excesses;
}

/**
 * Whether moving one shard of a part from `from` to `to` keeps the part within the failure-domain limits:
 * the target's zone and machine may hold no more of the part (`others`: its other shards' nodes) than the
 * limits allow, unless the shard stays in the same zone (machine) anyway.
 */
export function moveKeepsDomains(
  to: NodeDomains & { readonly id: string },
  from: NodeDomains & { readonly id: string },
  others: readonly (NodeDomains & { readonly id: string })[],
  limits: DomainLimits,
): boolean {
  const zoneOk = zoneOf(to) === zoneOf(from) || others.filter((d) => zoneOf(d) === zoneOf(to)).length + 1 <= limits.perZone;
  const hostOk = hostOf(to) === hostOf(from) || others.filter((d) => hostOf(d) === hostOf(to)).length + 1 <= limits.perHost;
  return zoneOk && hostOk;
}
