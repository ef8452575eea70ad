import { Transform } from 'node:stream';
import { SingleBar, Presets } from 'cli-progress';

/**
 * A progress bar with throughput and ETA on stderr when it is a terminal; nothing otherwise (scripts
 * and pipes get plain output). Returns a pass-through stream that counts the bytes, and `done()`.
 */
export function transferProgress(label: string, total: number | undefined): { meter: Transform; done: () => void } {
  const enabled = process.stderr.isTTY === true && total !== undefined && total > 0;
  const bar = enabled
    ? new SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      )
    : undefined;
  const started = Date.now();
  let sent = 0;
  const payload = () => ({
    done: mib(sent),
    size: mib(total ?? 0),
    speed: `${(sent / 1048576 / Math.max((Date.now() - started) / 1000, 0.001)).toFixed(1)} MiB/s`,
  });
  bar?.start(total ?? 0, 0, payload());
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      bar?.update(sent, payload());
      callback(null, chunk);
    },
  });
  return { meter, done: () => bar?.stop() };
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;
