/**
 * Import direction between layers (docs/ARCHITECTURE.md): processes → api/http → objects/jobs →
 * domain/streams → core. Adapters (metadata, shard-stores, storage-node) implement interfaces of inner
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
    only('core', [], 'core is pure: erasure coding, placement, ranges, ids; no other layer, no HTTP, no storage'),
    only('domain', ['core'], 'records, namespaces and the ports (metadata roles, node pool, shard store) the use cases need'),
    only('platform', [], 'how Node built-ins are loaded; any layer may use it'),
    only('streams', ['core'], 'stream pieces know only the core'),
    // platform: the framed channel reaches a peer over HTTP or HTTPS as any peer request does.
    only('node-protocol', ['core', 'domain', 'platform'], 'the node protocol is shared by both sides'),
    only('metadata', ['core', 'domain'], 'the metadata stores implement the domain\'s metadata ports'),
    // streams: a node rebuilding a shard reads its peers' frames with the block reader the gateway uses;
    // http: the HTTP plumbing both servers share (raw bodies, small JSON bodies).
    only('storage-node', ['core', 'domain', 'node-protocol', 'observability', 'platform', 'streams', 'http'], 'the node side knows nothing of the gateway'),
    only('shard-stores', ['core', 'domain', 'node-protocol', 'streams', 'platform'], 'the gateway side of the node protocol: implements the node pool and shard store ports'),
    only('objects', ['core', 'domain', 'streams', 'observability'], 'use cases see ports only: no adapter, no HTTP'),
    only('jobs', ['core', 'domain', 'streams', 'objects', 'observability'], 'background workers see ports and use cases only'),
    only('http', ['core', 'observability', 'platform', 'streams'], 'shared HTTP plumbing (streams: its buffer pools)'),
    // streams: the S3 surface verifies request bodies with ContentDigest; node-protocol: the registration schema.
    only('api', ['core', 'domain', 'http', 'objects', 'node-protocol', 'observability', 'streams'], 'thin public surfaces over the use cases'),
    only('config', ['core'], 'configuration schemas'),
    {
      name: 'api-through-use-cases',
      comment: 'API surfaces reach objects through the use cases (objects/use-cases.ts), never the services they are built from',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/objects/(object-services|put-object|read-object|stripe-body|shard-sources|shard-replacement|part-reader|stripe-writer)\\.ts$' },
    },
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
      from: { path: ['^src/(core|domain|streams|objects|jobs|metadata|shard-stores)/'] },
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
