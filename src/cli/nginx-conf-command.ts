import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';

/** The template the compose file's nginx service renders too (deploy/nginx/). */
const TEMPLATE = new URL('../../../deploy/nginx/nginx.conf.template', import.meta.url);

/** Fills the template's `${NAME}` variables; every one must be given. */
export function renderNginxConf(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`the nginx template uses \${${name}}, which has no value`);
    return value;
  });
}

export function addNginxConfCommand(program: Command): void {
  program
    .command('nginx-conf')
    .description('print a complete nginx configuration for the caching front of a gateway')
    .requiredOption('--gateway <url>', 'the gateway nginx forwards to, e.g. http://127.0.0.1:8080', process.env.SHARDSTORE_GATEWAY)
    .option('--listen <host:port>', 'address nginx listens on', '0.0.0.0:80')
    .option('--cache-dir <dir>', 'directory of the cache', '/var/cache/shardstore')
    .option('--pid <file>', "nginx's pid file", '/run/nginx.pid')
    .action((opts: { gateway: string; listen: string; cacheDir: string; pid: string }) => {
      let gateway: URL;
      try {
        gateway = new URL(opts.gateway);
      } catch {
        process.stderr.write(`shardstore nginx-conf: --gateway '${opts.gateway}' is not a URL\n`);
        process.exit(2);
      }
      if (gateway.protocol !== 'http:' || !gateway.host) {
        process.stderr.write('shardstore nginx-conf: --gateway must be an http:// URL with a host\n');
        process.exit(2);
      }
      const port = gateway.port || '80';
      process.stdout.write(
        renderNginxConf(readFileSync(TEMPLATE, 'utf8'), {
          GATEWAY_HOST: `${gateway.hostname}:${port}`,
          LISTEN: opts.listen,
          CACHE_DIR: resolve(opts.cacheDir),
          PID: resolve(opts.pid),
        }),
      );
    });
}
