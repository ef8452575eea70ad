import type { BlockSource } from '../core/block-frame.js';

/**
 * The blocks of `head`, then those of the source `rest()` opens; `rest()` is called only once the head's blocks
 * have all been taken, so that nothing streams ahead before the head has been used (a node that answered
 * first would otherwise stream megabytes while the others still prepare their head).
 */
export class ChainedBlocks implements BlockSource {
  private rest: (() => Promise<BlockSource>) | undefined;
  private closed = false;

  constructor(
    private current: BlockSource,
    rest: () => Promise<BlockSource>,
  ) {
    this.rest = rest;
  }

  async next(): Promise<Buffer | undefined> {
    for (;;) {
      const block = await this.current.next();
      if (block || !this.rest) return block;
      const open = this.rest;
      this.rest = undefined;
      await this.current.close();
      const next = await open();
      if (this.closed) {
        await next.close();
        throw new Error('the blocks were closed while their next source opened');
      }
      this.current = next;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.rest = undefined;
    await this.current.close();
  }
}
