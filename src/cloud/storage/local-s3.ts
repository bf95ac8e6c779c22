import { mkdir } from 'node:fs/promises';
import S3rver from 's3rver';

/** The only keys s3rver accepts. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * An S3-compatible server over a folder (s3rver), for the offline default: with no storage
 * configured, snapshots still go somewhere real, through the same client and protocol as S3.
 */
export async function startLocalS3(directory: string, bucket: string, host = '127.0.0.1'): Promise<LocalS3> {
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: host,
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  return { endpoint: `http://${host}:${port}`, close: () => server.close() };
}
