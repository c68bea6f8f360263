/** The last `limit` bytes of a terminal's output, replayed to a client when it attaches. */
export class Scrollback {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) this.size -= this.chunks.shift()!.length;
    if (this.size > this.limit) {
      // One chunk bigger than the whole buffer: keep its tail.
      const only = this.chunks[0]!;
      this.chunks[0] = only.subarray(only.length - this.limit);
      this.size = this.limit;
    }
  }

  snapshot(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
