import type { z } from 'zod';
import { ConfigInvalidError } from '../core/errors.js';
import { parseByteSize } from '../core/byte-size.js';
import { z as zod } from 'zod';
import { flagFor, type OptionTable } from './option-table.js';

/**
 * Validates raw options once at start; every problem is reported together, named by the flag that sets
 * it (from the process's option table), and the result is frozen.
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, table?: OptionTable): Readonly<z.infer<S>> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const flag = (field: string) => (table && flagFor(table, field)) ?? flagOf(field);
    throw new ConfigInvalidError(result.error.issues.map((i) => `${i.path.length ? `${flag(i.path.join('.'))}: ` : ''}${i.message}`));
  }
  return Object.freeze(result.data);
}

/** A byte size given as a number or text like "1MiB". */
export const byteSize = zod
  .union([zod.number(), zod.string()])
  .transform((v, ctx) => {
    const n = typeof v === 'number' ? v : parseByteSize(v);
    if (n === undefined || !Number.isSafeInteger(n) || n < 0) {
      ctx.addIssue({ code: 'custom', message: `'${v}' is not a byte size (e.g. 1048576, 1MiB, 10GB)` });
      return zod.NEVER;
    }
    return n;
  });

export const port = zod.coerce.number().int().min(0).max(65535);
export const positiveInt = zod.coerce.number().int().positive();
/** A PEM file's name (`--tls-cert`, `--tls-key`, `--tls-ca`); its contents are checked at start (src/config/tls-files.ts). */
export const pemFile = zod.string().min(1).optional();

/**
 * The command-line flag of a configuration field: kebab case without the unit the field's name carries
 * (`nodeDownAfterMs` is `--node-down-after`, `gcGraceSec` is `--gc-grace`), as the commands declare them.
 */
export const flagOf = (field: string): string => `--${field.replace(/(Ms|Sec)$/, '').replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`;
