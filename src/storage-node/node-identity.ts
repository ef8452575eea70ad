import { readFile, writeFile, rename, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

const identitySchema = z.object({ id: z.uuid(), createdAt: z.string() });
export type NodeIdentity = z.infer<typeof identitySchema>;

/** The node id lives in `<dir>/node.json`, created on first start and kept for the node's life. */
export async function loadOrCreateIdentity(dir: string): Promise<NodeIdentity> {
  const path = join(dir, 'node.json');
  try {
    return identitySchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(`cannot read the node identity ${path}: ${(error as Error).message}`);
    }
  }
  await mkdir(dir, { recursive: true });
  const identity: NodeIdentity = { id: randomUUID(), createdAt: new Date().toISOString() };
  await writeFile(`${path}.tmp`, JSON.stringify(identity, null, 2) + '\n');
  await rename(`${path}.tmp`, path);
  return identity;
}
