import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UseCases } from '../../objects/use-cases.js';
import type { Caller } from '../../objects/caller.js';
import type { Authenticated } from './s3-auth.js';
import type { AccessKey } from '../../domain/records.js';
import { S3Error } from './s3-error.js';
import { s3Xml, type XmlElement } from './s3-xml.js';

/** One authenticated S3 request, as the operations see it. */
export interface S3Context {
  readonly useCases: UseCases;
  /** The request as the action log records it. */
  readonly caller: Caller;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly auth: Authenticated;
  /** The access key that signed the request; undefined for an anonymous request. */
  readonly signer: AccessKey | undefined;
  readonly query: URLSearchParams;
  readonly region: string;
}

/** A request about a bucket (that exists, unless the operation creates it). */
export interface BucketContext extends S3Context {
  readonly bucket: string;
}

/** A request about an object of an existing bucket. */
export interface ObjectContext extends BucketContext {
  readonly key: string;
}

export const sendXml = (reply: FastifyReply, root: string, body: XmlElement, status = 200): FastifyReply =>
  reply.code(status).header('content-type', 'application/xml').send(s3Xml(root, body));

/** S3 timestamps in XML: ISO 8601 with milliseconds. */
export const isoTime = (ms: number): string => new Date(ms).toISOString();

/** The owner every listing names: Shardstore has one tenant, whose keys all see every bucket. */
export const OWNER = { ID: 'shardstore', DisplayName: 'shardstore' } as const;

export const quoted = (etag: string): string => `"${etag}"`;
export const unquoted = (etag: string): string => etag.trim().replace(/^"|"$/g, '');

/** The most entries one page of a listing holds, as on S3. */
export const MAX_PAGE = 1000;

/** A page size parameter (`max-keys`, `max-parts`, `max-uploads`): 1000 when absent, never more. */
export function pageLimit(query: URLSearchParams, name: string): number {
  const raw = query.get(name);
  if (raw === null) return MAX_PAGE;
  if (!/^\d+$/.test(raw)) throw new S3Error('InvalidArgument', 400, `${name} must be a non-negative integer`);
  return Math.min(Number(raw), MAX_PAGE);
}
