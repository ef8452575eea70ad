/**
 * The bytes of `head`, then those of the body `rest()` opens; `rest()` is called only once the head's bytes
 * have all been taken, so that nothing streams ahead before the head has been used (a node that answered
 * first would otherwise stream megabytes while the others still prepare their head). Resolves (or fails,
 * as for a missing shard) with the head's answer.
 */
export async function chainBodies(
  head: Promise<AsyncIterable<Uint8Array>>,
  rest: () => Promise<AsyncIterable<Uint8Array>>,
): Promise<AsyncIterable<Uint8Array>> {
  const first = await head;
  return (async function* () {
    yield* first;
    yield* await rest();
  })();
}
