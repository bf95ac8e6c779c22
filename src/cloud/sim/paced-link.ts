import { Transform } from 'node:stream';
import { TokenBucket } from 'limiter';

/**
 * One direction of a host's network connection: every stream paced through it shares its rate,
 * as the commands of one machine share its uplink. Bursts are at most a tenth of a second's
 * worth, about what a link's buffers hold.
 */
export class PacedLink {
  private readonly bucket: TokenBucket;
  private readonly burst: number;

  constructor(bytesPerSecond: number) {
    this.burst = Math.max(1, Math.floor(bytesPerSecond / 10));
    this.bucket = new TokenBucket({
      bucketSize: this.burst,
      tokensPerInterval: bytesPerSecond,
      interval: 'second',
    });
  }

  /** A pass-through stream whose data leaves at the link's pace. */
  pace(): Transform {
    const { bucket, burst } = this;
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        void (async () => {
          for (let at = 0; at < chunk.length; at += burst) {
            const part = chunk.subarray(at, at + burst);
            await bucket.removeTokens(part.length);
            this.push(part);
          }
        })().then(() => done(), done);
      },
    });
  }
}
