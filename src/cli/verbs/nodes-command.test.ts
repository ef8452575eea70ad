import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceLine, nodesTable } from './nodes-command.js';

test('the nodes table aligns columns and draws the fill', () => {
  const GiB = 1024 ** 3;
  const text = nodesTable([
    { id: 'a', url: 'http://127.0.0.1:1', state: 'up', zone: 'eu-1', machine: 'box7', capacity: 4 * GiB, used: GiB, shards: 12, lastSeen: '' },
    { id: 'bb', url: 'http://127.0.0.1:22', state: 'down', capacity: 0, used: 0, shards: 0, lastSeen: '' },
  ]);
  const lines = text.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[1]!, /^a {3}http:\/\/127\.0\.0\.1:1 {3}up {5}eu-1\/box7 {5}\[#{5}\.{15}\] 25\.0%/);
  assert.match(lines[1]!, /1\.00 GiB \/ 4\.00 GiB +12$/);
  assert.match(lines[2]!, /down +default\/- +\[\.{20}\] 0\.0%/);
  assert.equal(lines[0]!.indexOf('STATE'), lines[1]!.indexOf('up'));
});

test('under the table: the fill spread, and why it stays when placement allows no better', () => {
  assert.equal(balanceLine({ spread: 0.034, limitedBy: null }), 'fill spread 3.4%\n');
  assert.equal(balanceLine({ spread: 1.125, limitedBy: 'no shard can move' }), 'fill spread 112.5%, as even as placement allows: no shard can move\n');
  assert.equal(balanceLine(undefined), '');
});
