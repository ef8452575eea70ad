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
    .option('--gateway-ca <file>', "for an https gateway: the CA its certificate is checked against (a cluster CA)", '/etc/ssl/certs/ca-certificates.crt')
    .option('--gateway-name <name>', "for an https gateway: the DNS name its certificate must hold (default: --gateway's host; nginx checks DNS names only, never IP addresses)")
    .action((opts: { gateway: string; listen: string; cacheDir: string; pid: string; gatewayCa: string; gatewayName?: string }) => {
      let gateway: URL;
      try {
        gateway = new URL(opts.gateway);
      } catch {
        process.stderr.write(`shardstore nginx-conf: --gateway '${opts.gateway}' is not a URL\n`);
        process.exit(2);
      }
      if ((gateway.protocol !== 'http:' && gateway.protocol !== 'https:') || !gateway.host) {
        process.stderr.write('shardstore nginx-conf: --gateway must be an http:// or https:// URL with a host\n');
        process.exit(2);
      }
      const secure = gateway.protocol === 'https:';
      const port = gateway.port || (secure ? '443' : '80');
      // The gateway's certificate is checked against the CA, for the DNS name in --gateway (or --gateway-name).
      const upstreamTls = secure
        ? [
            'proxy_ssl_verify on;',
            `proxy_ssl_trusted_certificate ${resolve(opts.gatewayCa)};`,
            `proxy_ssl_name ${opts.gatewayName ?? gateway.hostname};`,
            'proxy_ssl_server_name on;',
            'proxy_ssl_session_reuse on;',
          ].join('\n    ')
        : '';
      process.stdout.write(
        renderNginxConf(readFileSync(TEMPLATE, 'utf8'), {
          GATEWAY_HOST: `${gateway.hostname}:${port}`,
          GATEWAY_SCHEME: secure ? 'https' : 'http',
          UPSTREAM_TLS: upstreamTls,
          LISTEN: opts.listen,
          CACHE_DIR: resolve(opts.cacheDir),
          PID: resolve(opts.pid),
        }),
      );
    });
}
