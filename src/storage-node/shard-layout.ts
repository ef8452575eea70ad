import { mkdir, readdir, rename, rmdir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { SHARD_ID_RE } from '../node-protocol/protocol.js';
import { fsyncDir, isNotFound } from './volume-store.js';

/**
 * Where a shard file lives: `shards/<last two hex digits of its id>/<id>`. The last digits are random in
 * every id (a UUIDv7 starts with its timestamp), so the files spread evenly over 256 directories that all
 * exist after the first few hundred shards: a commit is a rename and one directory fsync.
 *
 * Nodes of earlier versions kept a shard at its id split at the dashes (`shards/0195a3b2/1111/7000/8000/…`).
 * Its ids are time-ordered, so nearly every shard created three or four directories, each made durable with
 * a fsync of its parent, and every delete removed them again (docs/decisions/0001-shard-layout-and-blocks.md).
 * Start-up moves such files into this layout (`migrateSplitLayout`).
 */
export function shardFilePath(shardsDir: string, shardId: string): string {
  return join(shardsDir, fanOutOf(shardId), shardId);
}

const fanOutOf = (shardId: string): string => shardId.slice(-2);
const FAN_OUT_NAME = /^[0-9a-f]{2}$/;

/**
 * The fan-out directories known to exist durably. The first commit into a directory creates it and fsyncs
 * `shards/`; commits that arrive meanwhile wait for that same creation rather than find the directory
 * there and rename into it before its entry is durable.
 */
export class FanOutDirs {
  private readonly ready = new Map<string, Promise<void>>();

  constructor(private readonly shardsDir: string) {}

  /**
   * The fan-out directories already on disk, made durable here with one fsync of `shards/`: a process that
   * crashed between creating one and that fsync left an entry the disk may not hold yet.
   */
  async load(): Promise<void> {
    for (const name of await readdir(this.shardsDir)) if (FAN_OUT_NAME.test(name)) this.ready.set(join(this.shardsDir, name), Promise.resolve());
    await fsyncDir(this.shardsDir);
  }

  /** Resolves once `dir`, the directory of a shard file, exists and its entry in `shards/` is durable. */
  ensure(dir: string): Promise<void> {
    let ready = this.ready.get(dir);
    if (!ready) {
      ready = (async () => {
        const created = await mkdir(dir, { recursive: true });
        if (created !== undefined) await fsyncDir(this.shardsDir);
      })();
      this.ready.set(dir, ready);
      // A failed creation (a full disk) is tried again by the next commit.
      ready.catch(() => this.ready.delete(dir));
    }
    return ready;
  }
}

/** The shard files under `shards/`: each fan-out directory's files, named by their ids. */
export async function* listShardFiles(shardsDir: string): AsyncGenerator<{ id: string; path: string }> {
  for (const dir of await readdirIfAny(shardsDir)) {
    if (!dir.isDirectory() || !FAN_OUT_NAME.test(dir.name)) continue;
    for (const file of await readdirIfAny(join(shardsDir, dir.name))) {
      if (file.isFile() && SHARD_ID_RE.test(file.name)) yield { id: file.name, path: join(shardsDir, dir.name, file.name) };
    }
  }
}

/**
 * Moves the shard files of the earlier split layout (any directory under `shards/` that is not a fan-out
 * directory) into the fan-out layout and removes the emptied directories; resolves with the number moved.
 * Each move is a rename within one file system, atomic: a crash midway leaves every shard in one layout or
 * the other, and the next start moves the rest. Files whose path is no shard id are left where they are.
 */
export async function migrateSplitLayout(shardsDir: string, fanOut: FanOutDirs): Promise<number> {
  let moved = 0;
  const touched = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdirIfAny(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        // Only an emptied directory goes; one that still holds something is left as it is.
        await rmdir(path).catch(() => undefined);
        continue;
      }
      const id = relative(shardsDir, path).split(sep).join('-');
      if (!entry.isFile() || !SHARD_ID_RE.test(id)) continue;
      const target = shardFilePath(shardsDir, id);
      await fanOut.ensure(dirname(target));
      await rename(path, target);
      touched.add(dirname(target));
      moved += 1;
    }
  };
  for (const entry of await readdirIfAny(shardsDir)) {
    if (!entry.isDirectory() || FAN_OUT_NAME.test(entry.name)) continue;
    const top = join(shardsDir, entry.name);
    await walk(top);
    await rmdir(top).catch(() => undefined);
  }
  // The fan-out directories' own entries were made durable when they were created (`ensure`); a removed
  // directory that comes back after a crash is walked and removed again at the next start.
  for (const dir of touched) await fsyncDir(dir);
  return moved;
}

async function readdirIfAny(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}
