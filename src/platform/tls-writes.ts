/**
 * The largest piece written to a TLS socket at once. Node's TLS layer allocates an output buffer the size of
 * each write; above glibc's mmap threshold, which every Shardstore process runs with at 128 KiB
 * (src/processes/runtime-flags.ts, for flat memory), each such buffer is a fresh mapping whose pages fault
 * in one by one. Writing 64 KiB pieces (several per event-loop turn still leave in one writev) costs a
 * third of the CPU of 256 KiB or 1 MiB writes here (docs/BENCHMARKS.md, "TLS between the processes").
 */
export const TLS_WRITE_PIECE = 64 * 1024;

interface ChunkWriter {
  write(chunk: Uint8Array, callback: (error?: Error | null) => void): boolean;
}

/**
 * Writes `chunk` in pieces of at most TLS_WRITE_PIECE bytes; `callback` runs once the last piece has been
 * taken (or with the first error). Returns what the last write returned (false: wait for 'drain').
 */
export function writeInPieces(stream: ChunkWriter, chunk: Uint8Array, callback: (error?: Error | null) => void): boolean {
  if (chunk.length <= TLS_WRITE_PIECE) return stream.write(chunk, callback);
  let failed = false;
  const onPiece = (error?: Error | null) => {
    if (error && !failed) {
      failed = true;
      callback(error);
    }
  };
  let ok = true;
  for (let at = 0; at < chunk.length; at += TLS_WRITE_PIECE) {
    const end = Math.min(chunk.length, at + TLS_WRITE_PIECE);
    const last = end === chunk.length;
    ok = stream.write(chunk.subarray(at, end), last ? (error) => (failed ? undefined : callback(error)) : onPiece);
  }
  return ok;
}
