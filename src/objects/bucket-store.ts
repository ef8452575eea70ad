import type { BucketCatalog } from '../domain/metadata-store.js';
import type { Bucket } from '../domain/records.js';

/** The bucket use cases of the S3 API and the console: buckets are namespaces of the object catalog. */
export class BucketStore {
  constructor(private readonly buckets: BucketCatalog) {}

  /** Every bucket, by name. */
  list(): Promise<Bucket[]> {
    return this.buckets.list();
  }

  async exists(name: string): Promise<boolean> {
    return (await this.buckets.find(name)) !== undefined;
  }

  /** Creates a bucket; false if it already exists. */
  create(name: string): Promise<boolean> {
    return this.buckets.create({ name, createdAt: Date.now() });
  }

  /** Removes a bucket that holds no live object and no multipart upload. */
  remove(name: string): Promise<'removed' | 'not-empty' | 'missing'> {
    return this.buckets.remove(name);
  }
}
