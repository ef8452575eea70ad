/**
 * V8 flags every Shardstore process runs with (bin/shardstore.js passes the same in its shebang).
 * A small young generation: the data path keeps little on the JS heap, and the default semi-spaces
 * (several MiB each, touched and kept) were a third of the gateway's resident memory; measured in
 * docs/decisions/0002-memory.md.
 */
export const RUNTIME_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
