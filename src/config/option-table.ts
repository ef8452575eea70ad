import { z } from 'zod';

/**
 * One configuration option of a process, written once: the command-line flag, its environment variable,
 * its default, its help, and the schema of the value. The commands' options, the configuration's schema,
 * the error messages (with the real flag name) and the README's flag tables are all made from these.
 */
export interface ConfigOption {
  /** The flag without dashes (`node-down-after`). */
  readonly flag: string;
  /** The value's placeholder in the help and the README (`MS`, `BYTES`, `URL`); empty: a switch that takes none. */
  readonly value: string;
  readonly env?: string;
  /** The default as it would be typed on the command line; none: the option is optional or required. */
  readonly default?: string;
  /** The process cannot start without it. */
  readonly required?: boolean;
  /** What the README's default column says instead of the literal default (`a free port`). */
  readonly defaultText?: string;
  /** One line for `--help`. */
  readonly help: string;
  /** The README's fuller explanation (markdown); the help line when absent. */
  readonly doc?: string;
  readonly schema: z.ZodType;
  /** A secret: also read from the first line of the file `--<flag>-file` names (argv is visible in `ps`). */
  readonly secret?: boolean;
}

/** A process's options by the configuration field each fills (`nodeDownAfterMs`), in the order of `--help`. */
export type OptionTable = Readonly<Record<string, ConfigOption>>;

/** The zod object shape of a table: each field's schema, its default applied (and validated) when the value is absent. */
export function shapeOf<T extends OptionTable>(table: T): { [K in keyof T]: T[K]['schema'] } {
  return Object.fromEntries(
    Object.entries(table).map(([field, o]) => [field, o.default === undefined ? o.schema : o.schema.prefault(o.default)]),
  ) as { [K in keyof T]: T[K]['schema'] };
}

/** The flag that sets a field, as a user types it (`--node-down-after`), for the error messages. */
export function flagFor(table: OptionTable, field: string): string | undefined {
  const option = table[field];
  return option ? `--${option.flag}` : undefined;
}

const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|');

/** The README table of a process's flags: flag, environment variable, default, meaning. */
export function markdownTable(table: OptionTable): string {
  const options = Object.values(table);
  // A process configured by flags alone (the local cluster) gets no empty environment column.
  const withEnv = options.some((o) => o.env !== undefined);
  const row = (cells: readonly string[]) => `| ${(withEnv ? cells : [cells[0]!, ...cells.slice(2)]).join(' | ')} |`;
  const rows = [row(['flag', 'env', 'default', 'meaning']), row(['---', '---', '---', '---']).replace(/ /g, '')];
  for (const o of options) {
    const fallback = o.required ? 'required' : (o.defaultText ?? (o.default !== undefined ? code(o.default) : ''));
    rows.push(row([cell(code(o.value === '' ? `--${o.flag}` : `--${o.flag} ${o.value}`)), o.env ? code(o.env) : '', cell(fallback), cell(o.doc ?? o.help)]));
    if (o.secret) {
      const what = o.flag.replace(/-/g, ' ');
      rows.push(row([code(`--${o.flag}-file F`), o.env ? code(`${o.env}_FILE`) : '', '', `read the ${what} from F's first line instead (keep F 0600): a value on the command line is visible to every local user in \`ps\``]));
    }
  }
  return rows.join('\n');
}

/** Replaces the text between `<!-- options:NAME -->` and `<!-- /options:NAME -->` with the table. */
export function withTable(readme: string, name: string, table: OptionTable): string {
  const open = `<!-- options:${name} -->`;
  const close = `<!-- /options:${name} -->`;
  const start = readme.indexOf(open);
  const end = readme.indexOf(close);
  if (start < 0 || end < start) throw new Error(`the README has no ${open} … ${close} section`);
  return `${readme.slice(0, start + open.length)}\n${markdownTable(table)}\n${readme.slice(end)}`;
}
