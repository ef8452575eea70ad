import { choosePlacement, domainExcesses, domainLimits, moveKeepsDomains, fillRatio, fillSpread, hostOf, zoneOf, type DomainLimits, type NodeDomains, type NodeLoad } from '../core/placement.js';
import { ChecksumMismatchError, LeaseLostError } from '../core/errors.js';
import type { Fence } from '../domain/metadata-store.js';
import type { ObjectServices, ReadServices, ReplaceServices } from '../objects/object-services.js';
import { PlacementAuditor } from './placement-audit.js';
import { replaceShards, throughSinks } from '../objects/shard-replacement.js';
import { copiedShard } from '../objects/shard-sources.js';
import type { PartRecord, PartRef, ShardLocation } from '../domain/records.js';
import type { Logger } from '../observability/logger.js';
import type { Worker } from './worker.js';

export interface RebalanceSummary {
  spreadBefore: number;
  spreadAfter: number;
  moves: number;
  bytesMoved: number;
  failed: number;
  /** Shards moved off draining nodes, and the draining nodes that still hold some after the pass. */
  drained: number;
  stillDraining: string[];
  /** Shards moved out of a zone or machine that held more of their part than the domains' limits allow. */
  domainFixes: number;
  /** `balanced`, `no-move` (nothing left that would help), `time` (the pass's budget ran out) or `nodes` (< 2 up). */
  stopped: 'balanced' | 'no-move' | 'time' | 'nodes';
  /** Why the pass stopped short of the target, for people (absent when balanced). */
  reason?: string;
  durationMs: number;
}

/** The spread the placement rule leaves: the last pass found no move that would lower it. */
export interface BalanceLimit {
  readonly spread: number;
  readonly reason: string;
  /** The live nodes the pass saw: a node joining or leaving lifts the limit. */
  readonly nodes: readonly string[];
}

const REASONS: Record<Exclude<RebalanceSummary['stopped'], 'balanced'>, string> = {
  'no-move':
    'no shard can move without overshooting: the emptier nodes already hold a shard of every part they could take ' +
    '(the shards of a part sit on distinct nodes), so with few, large parts the spread stays; it falls as new objects are written',
  time: 'the pass used its time budget; the next pass continues',
  nodes: 'fewer than two live nodes',
};

export interface RebalanceOptions {
  /** A pass starts moving only above this spread of fill ratios, (max − min) / mean … */
  readonly startAbove: number;
  /** … and moves until the spread is at most this. */
  readonly stopAt: number;
  /** Bytes copied per second at most, so client traffic keeps the disks and the network. */
  readonly bytesPerSecond: number;
  /** Wall-clock budget of one pass; the next pass continues. */
  readonly passBudgetMs: number;
}

type Candidate = ShardLocation & PartRef;
const CANDIDATES_PER_NODE = 2000;
/** Parts above the domains' limits spread per pass at most (the next pass continues). */
const DOMAIN_FIXES_PER_PASS = 200;

/**
 * The rebalancer: while the fill ratios of the live nodes are spread more than the target, moves the
 * largest shard that does not overshoot from the fullest node to the emptiest one that holds no other
 * shard of its part — copy (every frame's checksum verified) → metadata switch in one transaction →
 * delete the old copy. A read that still uses the old copy keeps its open stream, or re-reads the part's
 * shard list when it has to open a shard again.
 */
export class Rebalancer implements Worker<RebalanceSummary> {
  readonly name = 'rebalance';
  private current: RebalanceSummary | undefined;
  /** Sources and targets of the running pass's moves so far. */
  private readonly moving = new Set<string>();
  private domains = new Map<string, NodeDomains & { id: string }>();
  /** The domains of the nodes that take shards in this pass, and their limits by a part's shard count (computed once each). */
  private placingDomains: (NodeDomains & { id: string })[] = [];
  private readonly limitsByCount = new Map<number, DomainLimits>();
  /** The nodes and domains of the last audit that found every part within the limits. */
  private auditedLayout: string | undefined;
  private readonly auditor: PlacementAuditor;
  /** Shards of draining nodes this pass could not move (tried again next pass). */
  private readonly unmovable = new Set<string>();
  private limited: BalanceLimit | undefined;

  constructor(
    private readonly svc: ReadServices & ReplaceServices & Pick<ObjectServices, 'scheme'>,
    private readonly options: RebalanceOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.auditor = new PlacementAuditor(svc, now);
  }

  /** `requested` (`POST /_rebalance`): move down to the target even below the automatic threshold. */
  progress(): RebalanceSummary | undefined {
    return this.current;
  }

  /** The nodes shards are moving from or to in the running pass (empty between passes). */
  nodesInPass(): ReadonlySet<string> {
    return this.current ? this.moving : new Set();
  }

  /**
   * Set when the last pass found nothing to move above the target, while the same nodes are up: the spread
   * that remains is what placement allows, and a node below the mean is not "joining" any more.
   */
  limit(upNodes: readonly string[]): BalanceLimit | undefined {
    const same = this.limited && this.limited.nodes.length === upNodes.length && upNodes.every((id) => this.limited!.nodes.includes(id));
    return same ? this.limited : undefined;
  }

  /** `fence`: the pass's lease, checked by every shard switch it commits (a pass that lost it stops). */
  async runOnce(requested = false, fence?: Fence): Promise<RebalanceSummary> {
    const started = this.now();
    await this.svc.nodes.refresh();
    const live = await this.svc.nodes.listLive();
    // Draining nodes only give: they are out of the spread and out of the targets.
    const loads = new Map<string, { id: string; capacity: number; used: number }>(
      live.filter((n) => n.state === 'up' && n.capacity > 0 && n.drain === null).map((n) => [n.id, { id: n.id, capacity: n.capacity, used: n.used }]),
    );
    const draining = live.filter((n) => n.state === 'up' && n.drain === 'draining').map((n) => n.id);
    // Every known node's failure domains: a move never gives a zone or a machine more of a part than placement would.
    this.domains = new Map(live.map((n) => [n.id, { id: n.id, zone: n.zone, host: n.machine }]));
    this.placingDomains = [...loads.keys()].map((id) => this.domainOf(id));
    this.limitsByCount.clear();
    const spread = () => fillSpread([...loads.values()]);
    const summary: RebalanceSummary = { spreadBefore: spread(), spreadAfter: 0, moves: 0, bytesMoved: 0, failed: 0, drained: 0, stillDraining: [], domainFixes: 0, stopped: 'balanced', durationMs: 0 };
    this.current = summary;
    this.moving.clear();
    this.unmovable.clear();
    const lists = new Map<string, Candidate[]>();
    const skip = new Set<string>();
    try {
      for (const nodeId of draining) {
        if (!(await this.drainNode(nodeId, loads, summary, started, fence))) summary.stillDraining.push(nodeId);
      }
      // Parts are placed within the limits of their time: only a change of the domains (labels, machines
      // joining or coming back) can leave some above them, so the audit runs again only after one.
      const layout = this.placingDomains.map((d) => `${d.id}/${zoneOf(d)}/${hostOf(d)}`).sort().join(',');
      if (layout !== this.auditedLayout) {
        const over = (await this.auditor.findOverLimit(DOMAIN_FIXES_PER_PASS)).parts;
        for (const { object, part } of over) {
          if (this.now() - started > this.options.passBudgetMs) break;
          summary.domainFixes += await this.spreadPart(object.id, part.partNo, loads, summary, fence);
        }
        if (over.length === 0) this.auditedLayout = layout;
      }
    } catch (error) {
      // Only a lost lease gets here: the pass stops, the new holder's pass carries on.
      this.current = undefined;
      this.moving.clear();
      throw error;
    }
    if (loads.size < 2) summary.stopped = 'nodes';
    else if (summary.spreadBefore > (requested ? this.options.stopAt : this.options.startAbove)) {
      for (;;) {
        if (spread() <= this.options.stopAt) break;
        if (this.now() - started > this.options.passBudgetMs) {
          summary.stopped = 'time';
          break;
        }
        const move = await this.nextMove([...loads.values()], lists, skip);
        if (!move) {
          summary.stopped = 'no-move';
          break;
        }
        this.moving.add(move.shard.nodeId).add(move.to);
        const copyStarted = this.now();
        try {
          const bytes = await this.moveShard(move.shard, move.to, fence);
          if (bytes > 0) {
            summary.moves += 1;
            summary.bytesMoved += bytes;
          }
          loads.get(move.shard.nodeId)!.used -= move.shard.size;
          loads.get(move.to)!.used += move.shard.size;
        } catch (error) {
          if (error instanceof LeaseLostError) {
            this.current = undefined;
            this.moving.clear();
            throw error;
          }
          summary.failed += 1;
          skip.add(move.shard.shardId);
          this.log.warn({ shard: move.shard.shardId, from: move.shard.nodeId, to: move.to, err: (error as Error).message }, 'shard move failed');
        }
        // Pace to the rate: a move of n bytes takes at least n / rate seconds.
        const minMs = (move.shard.size / this.options.bytesPerSecond) * 1000;
        const spent = this.now() - copyStarted;
        if (spent < minMs) await new Promise((r) => setTimeout(r, minMs - spent));
      }
    }
    summary.spreadAfter = spread();
    if (summary.stopped !== 'balanced') summary.reason = REASONS[summary.stopped];
    this.limited = summary.stopped === 'no-move' ? { spread: summary.spreadAfter, reason: summary.reason!, nodes: [...loads.keys()] } : undefined;
    summary.durationMs = this.now() - started;
    this.log.info({ ...summary }, 'rebalance pass done');
    this.current = undefined;
    this.moving.clear();
    return summary;
  }

  /**
   * Moves every shard of a draining node to the emptiest live node that may take it (one holding no other
   * shard of the part, within the part's failure-domain limits). Returns whether the node is empty of live
   * objects' shards now; a shard that cannot move yet (no such node) waits for the next pass.
   */
  private async drainNode(nodeId: string, loads: Map<string, { id: string; capacity: number; used: number }>, summary: RebalanceSummary, started: number, fence?: Fence): Promise<boolean> {
    let left = 0;
    for (;;) {
      const batch = (await this.svc.metadata.placement.shardsOnNode(nodeId, CANDIDATES_PER_NODE)).filter((s) => !this.unmovable.has(s.shardId));
      if (batch.length === 0) return left === 0 && (await this.svc.metadata.placement.countOnNode(nodeId)) === 0;
      for (const shard of batch) {
        if (this.now() - started > this.options.passBudgetMs) return false;
        const object = await this.svc.metadata.objects.findById(shard.objectId);
        const part = object?.parts.find((p) => p.partNo === shard.partNo);
        if (!part) {
          // Deleted meanwhile: nothing depends on this shard any more.
          this.unmovable.add(shard.shardId);
          continue;
        }
        const to = this.targetFor(part, shard, loads);
        if (to === undefined) {
          // No live node may take it now: it stays until one joins.
          this.unmovable.add(shard.shardId);
          left += 1;
          continue;
        }
        this.moving.add(nodeId).add(to);
        try {
          const bytes = await this.moveShard(shard, to, fence);
          summary.drained += 1;
          summary.bytesMoved += bytes;
          loads.get(to)!.used += shard.size;
        } catch (error) {
          if (error instanceof LeaseLostError) throw error;
          summary.failed += 1;
          this.unmovable.add(shard.shardId);
          left += 1;
          this.log.warn({ shard: shard.shardId, from: nodeId, to, err: (error as Error).message }, 'moving a shard off a draining node failed');
        }
      }
    }
  }

  /**
   * Moves shards of one part out of the zones and machines holding more of it than the limits allow, one
   * at a time, to the emptiest live node that keeps the part within them. Returns the shards moved.
   */
  private async spreadPart(objectId: string, partNo: number, loads: Map<string, { id: string; capacity: number; used: number }>, summary: RebalanceSummary, fence?: Fence): Promise<number> {
    let moved = 0;
    for (let round = 0; round < 8; round++) {
      const object = await this.svc.metadata.objects.findById(objectId);
      const part = object?.parts.find((p) => p.partNo === partNo);
      if (!part || object?.expiresAt !== null) return moved;
      const [excess] = domainExcesses(part.shards.map((s) => this.domainOf(s.nodeId)), this.limitsFor(part.shards.length));
      if (!excess) return moved;
      const levelOf = excess.level === 'zone' ? zoneOf : hostOf;
      // A shard in the crowded domain on a node that answers (its bytes are copied from there).
      const from = part.shards.find((s) => levelOf(this.domainOf(s.nodeId)) === excess.domain && this.svc.nodes.isUp(s.nodeId));
      if (!from) return moved;
      const to = this.targetFor(part, from, loads);
      // No domain with room would take it: the part stays as it is until one joins.
      if (to === undefined || levelOf(this.domainOf(to)) === excess.domain) return moved;
      this.moving.add(from.nodeId).add(to);
      try {
        summary.bytesMoved += await this.moveShard({ ...from, objectId, partNo }, to, fence);
        loads.get(to)!.used += from.size;
        moved += 1;
      } catch (error) {
        if (error instanceof LeaseLostError) throw error;
        summary.failed += 1;
        this.log.warn({ object: objectId, part: partNo, shard: from.shardId, to, err: (error as Error).message }, 'spreading a part over its domains failed');
        return moved;
      }
    }
    return moved;
  }

  /** The largest shard on the fullest node that can go to the emptiest node that may take it. */
  private async nextMove(nodes: NodeLoad[], lists: Map<string, Candidate[]>, skip: Set<string>): Promise<{ shard: Candidate; to: string } | undefined> {
    const byFill = [...nodes].sort((a, b) => fillRatio(b) - fillRatio(a));
    for (const from of byFill.slice(0, 3)) {
      for (const to of [...byFill].reverse()) {
        if (to.id === from.id || fillRatio(to) >= fillRatio(from)) break;
        // Moving x bytes changes the two fills by x / capacity each; more than this would overshoot.
        const most = (fillRatio(from) - fillRatio(to)) / (1 / from.capacity + 1 / to.capacity);
        let list = lists.get(from.id);
        if (!list) {
          const seen = new Set<string>();
          list = (await this.svc.metadata.placement.shardsOnNode(from.id, CANDIDATES_PER_NODE)).filter((s) => !seen.has(s.shardId) && seen.add(s.shardId));
          lists.set(from.id, list);
        }
        for (const shard of list) {
          if (shard.size > most || skip.has(shard.shardId)) continue;
          const object = await this.svc.metadata.objects.findById(shard.objectId);
          const part = object?.parts.find((p) => p.partNo === shard.partNo);
          const current = part?.shards.find((s) => s.index === shard.index);
          if (!part || current?.shardId !== shard.shardId) {
            skip.add(shard.shardId);
            continue;
          }
          if (part.shards.some((s) => s.nodeId === to.id)) continue;
          if (!this.keepsDomainRule(part, shard, to.id)) continue;
          list.splice(list.indexOf(shard), 1);
          return { shard, to: to.id };
        }
      }
    }
    return undefined;
  }

  /**
   * Whether moving `shard` of `part` to node `to` keeps the part within the failure-domain limits of the
   * live nodes: the target's zone and machine may hold no more of the part than placement allows, unless the
   * shard stays in the same zone (machine) anyway.
   */
  private keepsDomainRule(part: PartRecord, shard: Candidate, to: string): boolean {
    const others = part.shards.filter((s) => s.shardId !== shard.shardId).map((s) => this.domainOf(s.nodeId));
    return moveKeepsDomains(this.domainOf(to), this.domainOf(shard.nodeId), others, this.limitsFor(part.shards.length));
  }

  /**
   * The emptiest node that may take `shard` of `part`: one taking shards, holding no other shard of the
   * part, within the part's failure-domain limits; undefined when none may.
   */
  private targetFor(part: PartRecord, shard: ShardLocation, loads: Map<string, { id: string; capacity: number; used: number }>): string | undefined {
    const holders = new Set(part.shards.map((s) => s.nodeId));
    const keep = part.shards.filter((s) => s.shardId !== shard.shardId).map((s) => this.domainOf(s.nodeId));
    const targets = [...loads.values()].filter((n) => !holders.has(n.id)).map((n) => ({ ...n, ...this.domainOf(n.id) }));
    try {
      return choosePlacement(targets, 1, shard.size, { keep })[0];
    } catch {
      return undefined;
    }
  }

  /** A node's zone and machine (a node the pass did not see is a machine of its own). */
  private domainOf(id: string): NodeDomains & { id: string } {
    return this.domains.get(id) ?? { id };
  }

  /** The failure-domain limits for a part of `count` shards over the nodes taking shards in this pass. */
  private limitsFor(count: number): DomainLimits {
    let limits = this.limitsByCount.get(count);
    if (!limits) this.limitsByCount.set(count, (limits = domainLimits(this.placingDomains, count)));
    return limits;
  }

  private async moveShard(shard: Candidate, to: string, fence?: Fence): Promise<number> {
    const object = await this.svc.metadata.objects.findById(shard.objectId);
    const part = object?.parts.find((p) => p.partNo === shard.partNo);
    if (!object || !part) return 0;
    try {
      const replacement = { part: { objectId: object.id, partNo: part.partNo, index: shard.index }, from: shard, size: shard.size, toNodeId: to };
      return await replaceShards(this.svc, object, [replacement], throughSinks(this.svc, copiedShard(this.svc, shard, part.scheme.blockSize, new AbortController().signal)), fence);
    } catch (error) {
      if (error instanceof ChecksumMismatchError) {
        await this.svc.metadata.placement.reportDamaged(shard, 'checksum mismatch while moving', this.now(), fence);
      }
      throw error;
    }
  }
}
