import { BucketStore } from './bucket-store.js';
import { MultipartStore } from './multipart-store.js';
import type { ObjectServices } from './object-services.js';
import { ObjectStore } from './object-store.js';

/** The one way in to objects for every API surface: objects, buckets and multipart uploads. */
export interface UseCases {
  readonly objects: ObjectStore;
  readonly buckets: BucketStore;
  readonly multipart: MultipartStore;
}

export function createUseCases(svc: ObjectServices): UseCases {
  const objects = new ObjectStore(svc);
  return { objects, buckets: new BucketStore(svc.metadata.buckets, svc.metadata.accessKeys), multipart: new MultipartStore(svc, objects) };
}
