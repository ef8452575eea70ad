import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';
import type * as NodeHttps from 'node:https';

/**
 * node:http through `require` instead of an ES import. An ES import of a built-in reads every export, and
 * Node 24's node:http has lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters that load undici: about
 * 6 MiB of resident memory in every process, for classes nothing here uses (RssAnon +6.8 MiB for
 * `import('node:http')`, +0.9 MiB for `require('node:http')`). Import from this module, never from
 * node:http itself; type-only imports are free.
 */
const load = createRequire(import.meta.url);
export const http = load('node:http') as typeof NodeHttp;

/** node:https (and with it TLS, 3.5 MiB more) only once an https URL needs it. */
export const https = (): typeof NodeHttps => load('node:https') as typeof NodeHttps;
