import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { effectiveCapacities, type ReportedNode } from './shared-filesystems.js';

const GB = 1e9;
const node = (id: string, used: number, fsId: string | null, fsFree: number | null, capacity = used + (fsFree ?? 0)): ReportedNode => ({ id, capacity, used, fsId, fsFree });

test('nine nodes on one 80 GB disk: the free space is counted once, split among them', () => {
  const nodes = Array.from({ length: 9 }, (_, i) => node(`n${i}`, 0.5 * GB, 'host:2049', 80 * GB));
  const caps = effectiveCapacities(nodes);
  const total = [...caps.values()].reduce((a, b) => a + b, 0);
  assert.equal(Math.round(total / 1e8), 845, '80 GB free once plus 4.5 GB of shards, not 9 × 80.5');
  for (const c of caps.values()) assert.equal(Math.round(c / 1e6), Math.round((0.5 * GB + (80 * GB) / 9) / 1e6));
});

test('nodes on separate file systems keep their own; a declared capacity is a ceiling', () => {
  const caps = effectiveCapacities([node('a', 1 * GB, 'host:1', 10 * GB), node('b', 1 * GB, 'host:2', 10 * GB), node('c', 0, 'host:3', 50 * GB, 2 * GB)]);
  assert.deepEqual([...caps.values()], [11 * GB, 11 * GB, 2 * GB]);
});

test('a full disk leaves no room, whatever the node declared', () => {
  const caps = effectiveCapacities([node('full', 3 * GB, 'host:1', 0, 100 * GB)]);
  assert.equal(caps.get('full'), 3 * GB);
});

test('nodes that do not report their file system keep their capacity', () => {
  assert.equal(effectiveCapacities([node('old', 1, null, null, 42)]).get('old'), 42);
});

test('property: the room counted on a file system never exceeds its free bytes', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ used: fc.nat(1e12), fs: fc.integer({ min: 0, max: 3 }), free: fc.nat(1e13), declared: fc.option(fc.nat(1e13)) }), { minLength: 1, maxLength: 20 }),
      (specs) => {
        const nodes = specs.map((s, i) => node(`n${i}`, s.used, `h:${s.fs}`, s.free, s.declared ?? s.used + s.free));
        const caps = effectiveCapacities(nodes);
        for (let fs = 0; fs <= 3; fs++) {
          const members = nodes.filter((n) => n.fsId === `h:${fs}`);
          if (members.length === 0) continue;
          const room = members.reduce((sum, n) => sum + Math.max(0, caps.get(n.id)! - n.used), 0);
          assert.ok(room <= Math.min(...members.map((n) => n.fsFree!)));
        }
      },
    ),
  );
});
