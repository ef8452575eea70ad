/**
 * Import direction between layers (docs/ARCHITECTURE.md): processes → api/http → objects/jobs →
 * streams → core. Adapters (metadata, shard-stores, storage-node) implement interfaces of inner
 * layers; only composition roots (processes/) build them. `npm run lint` fails on a wrong-way import.
 */
const layer = (name) => `^src/${name}/`;
const only = (from, allowed, comment) => ({
  name: allowed.length ? `${from}-imports-only-${allowed.join('-')}` : `${from}-imports-nothing-else`,
  comment,
  severity: 'error',
  from: { path: layer(from) },
  to: { path: '^src/', pathNot: [layer(from), ...allowed.map(layer)] },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    only('core', [], 'core is pure: no other layer, no HTTP, no storage'),
    only('platform', [], 'how Node built-ins are loaded; any layer may use it'),
    only('streams', ['core'], 'stream pieces know only the core'),
    only('node-protocol', ['core'], 'the node protocol is shared by both sides and knows only the core'),
    only('metadata', ['core'], 'metadata stores know only domain types'),
    only('storage-node', ['core', 'node-protocol', 'observability', 'platform'], 'the node side knows nothing of the gateway'),
    only('shard-stores', ['core', 'node-protocol', 'metadata', 'streams', 'platform'], 'the gateway side of the node protocol'),
    only('objects', ['core', 'streams', 'metadata', 'shard-stores', 'observability'], 'use cases never see HTTP'),
    only('jobs', ['core', 'streams', 'metadata', 'shard-stores', 'objects', 'observability'], 'background workers see no HTTP'),
    only('http', ['core', 'observability', 'platform'], 'shared HTTP plumbing'),
    // streams: the S3 surface decodes aws-chunked request bodies.
    only('api', ['core', 'http', 'objects', 'jobs', 'metadata', 'shard-stores', 'node-protocol', 'observability', 'streams'], 'thin public surfaces'),
    only('config', ['core'], 'configuration schemas'),
    {
      name: 'only-roots-import-processes',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/processes/', '^src/cli/'] },
      to: { path: '^src/processes/' },
    },
    {
      name: 'node-http-through-platform',
      comment: 'an ES import of node:http loads undici (~6 MiB per process): use src/platform/node-http.ts',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/platform/' },
      to: { path: '^(node:)?https?$', dependencyTypesNot: ['type-only'] },
    },
    { name: 'nothing-imports-cli', severity: 'error', from: { path: '^src/', pathNot: '^src/cli/' }, to: { path: '^src/cli/' } },
    {
      name: 'no-fastify-below-http',
      comment: 'the HTTP framework stays in http/, api/, storage-node routes and the composition roots',
      severity: 'error',
      from: { path: ['^src/(core|streams|objects|jobs|metadata|shard-stores)/'] },
      to: { path: 'node_modules/fastify' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$|\\.contract\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
