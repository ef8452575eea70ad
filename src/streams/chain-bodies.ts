/**
 * The bytes of `head`, then those of the body `rest()` opens; `rest()` is called as soon as the head's
 * answer has arrived, so its request is in flight while the head is consumed. Resolves (or fails, as for
 * a missing shard) with the head's answer.
 */
export async function chainBodies(
  head: Promise<AsyncIterable<Uint8Array>>,
  rest: () => Promise<AsyncIterable<Uint8Array>>,
): Promise<AsyncIterable<Uint8Array>> {
  const first = await head;
  const second = rest();
  // If the head fails first, the second answer is never awaited; its failure must not go unhandled.
  second.catch(() => undefined);
  return (async function* () {
    yield* first;
    yield* await second;
  })();
}
