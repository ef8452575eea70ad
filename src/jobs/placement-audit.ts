import { totalShards } from '../core/erasure-scheme.js';
import { domainExcesses, domainLimits, hostOf, zoneOf, type DomainExcess, type DomainLimits, type NodeDomains } from '../core/placement.js';
import type { ObjectRecord, PartRecord } from '../domain/records.js';
import type { ObjectServices } from '../objects/object-services.js';

/** Shards read per node when looking for parts above the limits. */
const SHARDS_PER_NODE = 100_000;

export interface PartOverLimit {
  readonly object: ObjectRecord;
  readonly part: PartRecord;
  readonly excesses: readonly DomainExcess[];
}

export interface PlacementReport {
  /** Machines and zones of the up nodes that take new shards: the domains the limits are computed over. */
  machines: number;
  zones: number;
  partsOverLimit: number;
  /** The first of them, for people: key, part, and which zone or machine holds how many of its shards. */
  examples: { bucket: string; key: string; objectId: string; partNo: number; excesses: readonly DomainExcess[] }[];
  durationMs: number;
}

/**
 * Finds the parts whose shards break the failure-domain rule for the live nodes now — placed before their
 * nodes had labels, or while machines or zones were missing. Only domains with more nodes than a part's
 * limit can hold too many of its shards (the shards of a part are on distinct nodes), so only their
 * nodes' shard lists are read.
 */
export class PlacementAuditor {
  constructor(
    private readonly svc: Pick<ObjectServices, 'metadata' | 'nodes' | 'scheme'>,
    private readonly now: () => number = Date.now,
  ) {}

  async findOverLimit(max = 1000): Promise<{ parts: PartOverLimit[]; machines: number; zones: number }> {
    await this.svc.nodes.refresh();
    const all = this.svc.nodes.list();
    const domains = new Map<string, NodeDomains & { id: string }>(all.map((n) => [n.id, { id: n.id, zone: n.zone, host: n.machine }]));
    const placing = all.filter((n) => n.state === 'up' && n.drain === null).map((n) => domains.get(n.id)!);
    const machines = new Set(placing.map(hostOf)).size;
    const zones = new Set(placing.map(zoneOf)).size;
    const widest = domainLimits(placing, totalShards(this.svc.scheme));
    // Nodes of the domains that have more nodes than a part may have shards in them.
    const members = (domainOf: (d: NodeDomains & { id: string }) => string, limit: number) => {
      const byDomain = new Map<string, string[]>();
      for (const d of domains.values()) {
        const ids = byDomain.get(domainOf(d));
        if (ids) ids.push(d.id);
        else byDomain.set(domainOf(d), [d.id]);
      }
      return [...byDomain.values()].filter((ids) => ids.length > limit).flat();
    };
    const limitsByCount = new Map<number, DomainLimits>();
    const limitsFor = (count: number) => {
      let limits = limitsByCount.get(count);
      if (!limits) limitsByCount.set(count, (limits = domainLimits(placing, count)));
      return limits;
    };
    const suspects = new Set([...members(hostOf, widest.perHost), ...members(zoneOf, widest.perZone)]);
    const seen = new Set<string>();
    const parts: PartOverLimit[] = [];
    for (const nodeId of suspects) {
      for (const shard of await this.svc.metadata.placement.shardsOnNode(nodeId, SHARDS_PER_NODE)) {
        const ref = `${shard.objectId}:${shard.partNo}`;
        if (seen.has(ref)) continue;
        seen.add(ref);
        const object = await this.svc.metadata.objects.findById(shard.objectId);
        const part = object?.parts.find((p) => p.partNo === shard.partNo);
        if (!object || !part) continue;
        const holders = part.shards.map((s) => domains.get(s.nodeId) ?? { id: s.nodeId });
        const excesses = domainExcesses(holders, limitsFor(part.shards.length));
        if (excesses.length > 0) parts.push({ object, part, excesses });
        if (parts.length >= max) return { parts, machines, zones };
      }
    }
    return { parts, machines, zones };
  }

  /** `POST /_placement-audit`: how many parts break the rule now, with the first examples. */
  async report(): Promise<PlacementReport> {
    const started = this.now();
    const { parts, machines, zones } = await this.findOverLimit(100_000);
    return {
      machines,
      zones,
      partsOverLimit: parts.length,
      examples: parts.slice(0, 20).map(({ object, part, excesses }) => ({ bucket: object.bucket, key: object.key, objectId: object.id, partNo: part.partNo, excesses })),
      durationMs: this.now() - started,
    };
  }
}
