// Rewrites the README's flag tables from the option tables in src/config (run: npm run docs:options).
import { readFileSync, writeFileSync } from 'node:fs';
import { withOptionTables } from '../src/config/readme-tables.js';

const readme = readFileSync('README.md', 'utf8');
const next = withOptionTables(readme);
if (next === readme) console.log('README.md: the flag tables are current');
else {
  writeFileSync('README.md', next);
  console.log('README.md: flag tables rewritten');
}
