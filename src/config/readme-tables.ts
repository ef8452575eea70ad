import { CLUSTER_OPTIONS } from './cluster-options.js';
import { GATEWAY_OPTIONS } from './gateway-options.js';
import { NODE_OPTIONS } from './node-options.js';
import { withTable, type OptionTable } from './option-table.js';

/** The README's flag tables, by the name of their `<!-- options:NAME -->` section. */
export const README_TABLES: Readonly<Record<string, OptionTable>> = { cluster: CLUSTER_OPTIONS, gateway: GATEWAY_OPTIONS, node: NODE_OPTIONS };

/** The README with every flag table made again from the option tables (`npm run docs:options` writes it). */
export const withOptionTables = (readme: string): string =>
  Object.entries(README_TABLES).reduce((text, [name, table]) => withTable(text, name, table), readme);
