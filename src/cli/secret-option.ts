import { readFileSync } from 'node:fs';
import { ConfigInvalidError } from '../core/errors.js';

/**
 * A secret from `--x-file FILE` (its first line) or else from `--x VALUE` / the environment. A file (mode 0600)
 * keeps the secret out of `ps` and `/proc/PID/cmdline`, which every local user can read; a value given both
 * ways is refused, since one of them would silently lose.
 */
export function secretOption(value: string | undefined, file: string | undefined, flag: string): string | undefined {
  if (file === undefined || file === '') return value;
  if (value !== undefined && value !== '') throw new ConfigInvalidError([`give ${flag} or ${flag}-file, not both`]);
  try {
    return readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch (error) {
    throw new ConfigInvalidError([`${flag}-file: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
}
