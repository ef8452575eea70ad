import type { Command } from 'commander';
import type { OptionTable } from '../config/option-table.js';
import { secretOption } from './secret-option.js';

const camel = (flag: string): string => flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Declares a table's options on a command: flag, help, and the default from the environment or the table. */
export function addOptions(command: Command, table: OptionTable): Command {
  for (const o of Object.values(table)) {
    const fallback = o.env !== undefined ? (process.env[o.env] ?? o.default) : o.default;
    // An option without a value placeholder is a switch (`--tls`).
    if (o.value === '') command.option(`--${o.flag}`, o.help.replace(/`/g, ''));
    else command.option(`--${o.flag} <${o.value.toLowerCase()}>`, o.help.replace(/`/g, ''), fallback);
    if (o.secret) {
      const file = o.env !== undefined ? process.env[`${o.env}_FILE`] : undefined;
      command.option(`--${o.flag}-file <file>`, `read the ${o.flag.replace(/-/g, ' ')} from this file (its first line)`, file);
    }
  }
  return command;
}

/** The configuration a command's parsed options make, field by field (secrets read from their files). */
export function rawConfig(table: OptionTable, opts: Record<string, string | boolean | undefined>): Record<string, string | boolean | undefined> {
  return Object.fromEntries(
    Object.entries(table).map(([field, o]) => {
      const key = camel(o.flag);
      const value = o.secret ? secretOption(text(opts[key]), text(opts[`${key}File`]), `--${o.flag}`) : opts[key];
      // A required value that is missing is an empty one: its schema's message says what is needed.
      return [field, value ?? (o.required ? '' : undefined)];
    }),
  );
}

const text = (value: string | boolean | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
