import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ObjectServices } from '../../objects/object-services.js';
import type { Authenticated } from './s3-auth.js';
import { s3Xml, type XmlElement } from './s3-xml.js';

/** One authenticated S3 request, as the operations see it. */
export interface S3Context {
  readonly svc: ObjectServices;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly auth: Authenticated;
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
