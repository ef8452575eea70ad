import type { AccessKeys, BucketCatalog } from '../domain/metadata-store.js';
import type { AccessKey, Bucket, BucketAccess, BucketSettings } from '../domain/records.js';

/** The bucket use cases of the S3 API and the console: buckets are namespaces of the object catalog. */
export class BucketStore {
  constructor(
    private readonly buckets: BucketCatalog,
    private readonly keys: AccessKeys,
  ) {}

  /** Every bucket, by name. */
  list(): Promise<Bucket[]> {
    return this.buckets.list();
  }

  /** The buckets a key may see: all for an administrator, else those it has a grant on. */
  async visibleTo(key: AccessKey): Promise<Bucket[]> {
    const all = await this.buckets.list();
    if (key.admin) return all;
    const granted = new Set((await this.keys.grants(key.accessKey)).map((g) => g.bucket));
    return all.filter((b) => granted.has(b.name));
  }

  find(name: string): Promise<Bucket | undefined> {
    return this.buckets.find(name);
  }

  async exists(name: string): Promise<boolean> {
    return (await this.buckets.find(name)) !== undefined;
  }

  /** Creates a bucket; false if it already exists. A key that is not an administrator becomes its owner. */
  create(name: string, by?: AccessKey): Promise<boolean> {
    return this.buckets.create({ name, createdAt: Date.now() }, by && !by.admin ? by.accessKey : undefined);
  }

  /** A key's grant on a bucket (administrators hold none: they need none). */
  accessTo(key: AccessKey, bucket: string): Promise<BucketAccess | undefined> {
    return this.keys.accessTo(key.accessKey, bucket);
  }

  /** Replaces one of a bucket's settings (null removes it); false if the bucket is gone. */
  configure<K extends keyof BucketSettings>(name: string, setting: K, value: BucketSettings[K] | null): Promise<boolean> {
    return this.buckets.configure(name, setting, value);
  }

  /** Removes a bucket that holds no live object and no multipart upload. */
  remove(name: string): Promise<'removed' | 'not-empty' | 'missing'> {
    return this.buckets.remove(name);
  }
}
