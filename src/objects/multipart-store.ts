import { newObjectId } from '../core/ids.js';
import type { MultipartUpload, NewObject, UploadedPart } from '../domain/records.js';
import { auditEntry, type Caller } from './caller.js';
import { assembleMultipart, uploadPart, type ChosenPart, type UploadPartInput } from './multipart.js';
import type { ObjectServices } from './object-services.js';
import type { ObjectStore } from './object-store.js';

/** What a new multipart upload records: its target and the headers the finished object will carry. */
export interface NewUpload {
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string | null;
  readonly headers: Readonly<Record<string, string>> | null;
}

/** The S3 multipart upload use cases: begin, parts, complete (logged as a create), abort, listings. */
export class MultipartStore {
  constructor(
    private readonly svc: ObjectServices,
    private readonly objects: ObjectStore,
  ) {}

  async begin(target: NewUpload): Promise<MultipartUpload> {
    const upload: MultipartUpload = { id: newObjectId(), ...target, headers: target.headers ?? {}, createdAt: Date.now() };
    await this.svc.metadata.multipart.create(upload);
    return upload;
  }

  find(id: string): Promise<MultipartUpload | undefined> {
    return this.svc.metadata.multipart.find(id);
  }

  /** Stripes one part and records it, replacing an earlier part with its number. */
  uploadPart(input: UploadPartInput): Promise<UploadedPart> {
    return uploadPart(this.svc, input);
  }

  /** The upload's parts, by part number. */
  parts(uploadId: string): Promise<UploadedPart[]> {
    return this.svc.metadata.multipart.parts(uploadId);
  }

  list(bucket: string, query: { prefix: string; afterKey: string; afterId: string; limit: number }): Promise<MultipartUpload[]> {
    return this.svc.metadata.multipart.list(bucket, query);
  }

  /** Makes the object from the chosen parts in one transaction; the object it replaced is logged as expired. */
  async complete(upload: MultipartUpload, chosen: readonly ChosenPart[], caller: Caller): Promise<NewObject> {
    const started = Date.now();
    const { object, replaced } = await this.svc.metadata.multipart.complete(upload.id, (u, parts) => assembleMultipart(u, parts, chosen), Date.now());
    this.svc.audit.record(auditEntry(caller, 'create', object, object.size, Date.now() - started, 'ok'));
    this.objects.recordReplaced(caller, object, replaced);
    return object;
  }

  /** Drops the upload; its parts' shards become garbage. False if there was no such upload. */
  abort(uploadId: string): Promise<boolean> {
    return this.svc.metadata.multipart.abort(uploadId, Date.now());
  }
}
