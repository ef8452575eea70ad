import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// Built into dist/console, which the gateway serves at /_console/ (src/api/console/console-routes.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/_console/',
  plugins: [preact()],
  build: { outDir: '../dist/console', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  logLevel: 'warn',
});
