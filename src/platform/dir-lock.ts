import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { lock } from 'os-lock';

/** Another live process holds the lock: two processes writing one directory corrupt it. */
export class DirectoryInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | undefined,
  ) {
    super(`${dir} is in use by ${pid ? `pid ${pid}` : 'another process'}; stop it first, or choose another directory`);
    this.name = 'DirectoryInUseError';
  }
}

export interface DirectoryLock {
  /** Releases the lock (the kernel also does when the process dies, however it dies). */
  release(): void;
}

/**
 * An exclusive lock on `dir`, held for the life of the process through the lock file `dir/name`.
 *
 * A POSIX record lock (fcntl F_SETLK), not a pid file: the kernel drops it when the holder exits, even on
 * SIGKILL, so a dead process's stale lock is taken over without any guessing about pids, and two starters
 * racing for one directory cannot both win. The holder's pid is written into the file only to name it in
 * the error the loser gets. fcntl locks belong to the process, so a second lock on the same file from the
 * same process succeeds: this guards against other processes, which is what corrupts a directory.
 */
export async function lockDirectory(dir: string, name: string): Promise<DirectoryLock> {
  const path = join(dir, name);
  const fd = openSync(path, 'a+', 0o600);
  try {
    await lock(fd, { exclusive: true, immediate: true });
  } catch (error) {
    closeSync(fd);
    if (!['EACCES', 'EAGAIN', 'EBUSY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    throw new DirectoryInUseError(dir, readPid(path));
  }
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      closeSync(fd);
    },
  };
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
