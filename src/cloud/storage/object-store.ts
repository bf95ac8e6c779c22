import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ErrorCode, GpuopsError } from '../../errors.ts';

export interface ObjectStoreOptions {
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  /** Path-style URLs (`endpoint/bucket/key`): MinIO and most S3-compatible servers want them. */
  forcePathStyle: boolean;
  /** Per-request timeout. */
  timeoutMs?: number;
}

// gpuops runs on Node 20 with the SDK version its lockfile pins; the SDK's notice that versions
// from 2027 will need Node 22 would otherwise print into the terminal chat on the first snapshot.
// Its own switch, so whoever sets it otherwise still gets the notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** How long a presigned download stays good by default: long enough for a slow dataset fetch. */
const PRESIGN_DEFAULT_SECONDS = 6 * 3_600;
/** SigV4's own limit on a presigned URL's life. */
const PRESIGN_MAX_SECONDS = 7 * 86_400;

/** Multipart parts: S3's minimum is 5 MiB; 8 MiB keeps the part count low without much memory. */
const PART_SIZE = 8 * 1024 * 1024;

/**
 * One bucket of S3-compatible storage (AWS S3, Backblaze B2, Cloudflare R2, MinIO, the local
 * server of the offline default) through @aws-sdk/client-s3. Uploads stream in parts and never
 * stage a whole object on disk.
 */
export class ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      ...(options.endpoint && { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle,
      ...(options.accessKeyId &&
        options.secretAccessKey && {
          credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        }),
      // Without these, streamed uploads go out in aws-chunked framing that B2, R2 and s3rver store
      // as part of the object.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 4,
      requestHandler: { requestTimeout: options.timeoutMs ?? 30_000, connectionTimeout: 5_000 },
    });
  }

  /** Stores `body` under `key`, streaming it in parts; resolves once the object is whole. */
  async put(key: string, body: Readable | Buffer, contentType = 'application/octet-stream'): Promise<void> {
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: body, ContentType: contentType },
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      }).done();
    } catch (err) {
      throw storageError(`storing ${key}`, err);
    }
  }

  /** The object's bytes as a stream; throws NotFound-coded errors for a missing key. */
  async get(key: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return res.Body as Readable;
    } catch (err) {
      throw storageError(`reading ${key}`, err);
    }
  }

  async getText(key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.get(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (err instanceof NotFound || err instanceof NoSuchKey || httpStatus(err) === 404) return false;
      throw storageError(`looking up ${key}`, err);
    }
  }

  /** Every key under `prefix`. */
  async list(prefix: string): Promise<string[]> {
    return (await this.listWithSizes(prefix)).map((object) => object.key);
  }

  /** Every object under `prefix` with its size in bytes, in key order. */
  async listWithSizes(prefix: string): Promise<Array<{ key: string; size: number }>> {
    const objects: Array<{ key: string; size: number }> = [];
    let token: string | undefined;
    try {
      do {
        const page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key) objects.push({ key: object.Key, size: object.Size ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw storageError(`listing ${prefix}`, err);
    }
    return objects;
  }

  /** Copies an object within the bucket (up to 5 GB, S3's single-copy limit). */
  async copy(from: string, to: string): Promise<void> {
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: to,
          CopySource: `${this.bucket}/${encodeURIComponent(from).replace(/%2F/g, '/')}`,
        }),
      );
    } catch (err) {
      throw storageError(`copying ${from} to ${to}`, err);
    }
  }

  /**
   * An https GET URL for `key` (in `bucket`, this store's by default) that anyone holding it can
   * read until it expires, signed with this store's credentials and endpoint, so a machine can
   * download an object without being given the keys. The URL's query string is a credential:
   * never log or show it. Signing is local; no request is made.
   */
  async presignGet(key: string, options: { bucket?: string; expiresInSec?: number } = {}): Promise<string> {
    const expiresIn = options.expiresInSec ?? PRESIGN_DEFAULT_SECONDS;
    if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > PRESIGN_MAX_SECONDS) {
      throw new GpuopsError(
        ErrorCode.BadInput,
        `A presigned download can last 1 second to 7 days, not ${expiresIn} seconds.`,
      );
    }
    const bucket = options.bucket ?? this.bucket;
    try {
      return await getSignedUrl(this.client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
        expiresIn,
      });
    } catch (err) {
      throw storageError(`signing a download of s3://${bucket}/${key}`, err);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1_000) {
      const batch = keys.slice(i, i + 1_000);
      try {
        await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (err) {
        throw storageError(`deleting ${batch.length} objects`, err);
      }
    }
  }

  close(): void {
    this.client.destroy();
  }
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function storageError(what: string, err: unknown): GpuopsError {
  const status = httpStatus(err);
  const name = (err as { name?: string }).name ?? 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const denied = status === 401 || status === 403;
  return new GpuopsError(
    ErrorCode.StorageFailed,
    `Snapshot storage failed ${what}: ${name}${status ? ` (HTTP ${status})` : ''}: ${message}.${denied ? ' Check the storage keys and that they may write to the bucket.' : ''}`,
    { retryable: !denied && status !== 404, cause: err },
  );
}
