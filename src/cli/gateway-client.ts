import type { IncomingMessage } from 'node:http';
import { http, https } from '../platform/node-http.js';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';

/** Exit codes of the client commands: the answer is yes / no, or the question could not be answered. */
export const EXIT = { OK: 0, NO: 1, ERROR: 2 } as const;

export interface ClientOptions {
  gateway: string;
  token?: string;
  /** A PEM file of the CA that signed an `https:` gateway's certificate (a cluster CA), instead of the system's. */
  ca?: string;
}

/** A command's expected negative outcome (exit 1) or its failure (exit 2), with the message to print. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function withGatewayOptions(command: Command): Command {
  return command
    .option('--gateway <url>', 'gateway URL (env SHARDSTORE_GATEWAY)', process.env.SHARDSTORE_GATEWAY ?? 'http://127.0.0.1:8080')
    .option('--token <token>', 'admin token (env SHARDSTORE_TOKEN)', process.env.SHARDSTORE_TOKEN)
    .option('--ca <file>', "PEM CA to check an https gateway's certificate against (env SHARDSTORE_CA; default: the system's)", process.env.SHARDSTORE_CA);
}

/** The URL path of a path-API key, each segment percent-encoded. */
export const keyPath = (key: string): string => `/${key.split('/').map(encodeURIComponent).join('/')}`;

/** One request to the gateway; the response body is left to the caller to read or drain. */
export function call(
  options: ClientOptions,
  method: string,
  path: string,
  body?: { stream: Readable; length: number },
): Promise<IncomingMessage> {
  let base: URL;
  try {
    base = new URL(options.gateway);
  } catch {
    return Promise.reject(new CliFailure(`--gateway '${options.gateway}' is not a URL`, EXIT.ERROR));
  }
  const url = new URL(base.pathname.replace(/\/$/, '') + path, base);
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (body) headers['content-length'] = String(body.length);
  let ca: string | undefined;
  try {
    ca = options.ca === undefined ? undefined : readFileSync(options.ca, 'utf8');
  } catch (error) {
    return Promise.reject(new CliFailure(`--ca: cannot read ${options.ca}: ${(error as Error).message}`, EXIT.ERROR));
  }
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https().request : http.request)(url, { method, headers, ...(ca !== undefined ? { ca } : {}) }, (response) => {
      // The gateway may answer before it has read the body (a 405 for an existing key): stop sending.
      if (body && !body.stream.readableEnded) {
        body.stream.unpipe(req);
        body.stream.destroy();
      }
      resolve(response);
    });
    req.on('error', (error) => reject(new CliFailure(`cannot reach the gateway at ${base.origin}: ${error.message}`, EXIT.ERROR)));
    if (body) {
      body.stream.on('error', (error) => req.destroy(error));
      body.stream.pipe(req);
    } else {
      req.end();
    }
  });
}

export async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The gateway's `{error, message}` answer as a failure (exit 2 unless the caller says otherwise). */
export async function failureFrom(response: IncomingMessage, exitCode: number = EXIT.ERROR): Promise<CliFailure> {
  const text = await readText(response);
  let message = text.trim() || `HTTP ${response.statusCode}`;
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch {
    // not JSON: keep the text
  }
  if (response.statusCode === 401) message += ' (pass the admin token with --token or SHARDSTORE_TOKEN)';
  return new CliFailure(`${message} [${response.statusCode}]`, exitCode);
}

/**
 * Runs a client command and exits with its code once stdout is flushed (a kept-alive socket or an
 * upload the gateway refused must not keep the process waiting); failures print one line to stderr.
 */
export async function runClientCommand(name: string, work: () => Promise<number | void>): Promise<void> {
  let code: number;
  try {
    code = (await work()) ?? EXIT.OK;
  } catch (error) {
    process.stderr.write(`shardstore ${name}: ${(error as Error).message}\n`);
    code = error instanceof CliFailure ? error.exitCode : EXIT.ERROR;
  }
  process.stdout.write('', () => process.exit(code));
}
