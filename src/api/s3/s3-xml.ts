import { XMLParser } from 'fast-xml-parser';
import { S3Error } from './s3-error.js';
import { escapeXml } from './xml-escape.js';

export { escapeXml };


/** XML already rendered (and escaped) by the caller: a listing's thousand entries, built without a tree. */
export class RawXml {
  constructor(readonly xml: string) {}
}

/** A value of an XML tree: text, a number, a boolean, nested elements, a list of repeated elements, or raw XML. */
export type XmlValue = string | number | boolean | null | undefined | RawXml | XmlElement | XmlValue[];
export interface XmlElement {
  readonly [tag: string]: XmlValue;
}

function render(tag: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (value instanceof RawXml) return value.xml;
  if (Array.isArray(value)) return value.map((v) => render(tag, v)).join('');
  if (typeof value === 'object') return `<${tag}>${Object.entries(value).map(([t, v]) => render(t, v)).join('')}</${tag}>`;
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

/** An S3 response document: `<Root xmlns="…">…</Root>`. Arrays repeat their tag; undefined leaves it out. */
export function s3Xml(root: string, body: XmlElement): string {
  const inner = Object.entries(body).map(([t, v]) => render(t, v)).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${inner}</${root}>`;
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, htmlEntities: true, ignoreDeclaration: true });

/** The largest XML request body read (DeleteObjects of 1,000 keys of 1 KiB is about 1.1 MB). */
export const MAX_XML_BODY = 2 * 1024 * 1024;

/** Parses a small XML request body; S3's MalformedXML when it is not XML. */
export function parseXmlBody(body: Buffer): Record<string, unknown> {
  try {
    const parsed: unknown = parser.parse(body.toString('utf8'), true);
    if (parsed && typeof parsed === 'object') return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new S3Error('MalformedXML', 400, 'The XML you provided was not well-formed or did not validate against our published schema.');
}

/** A child that may occur once or many times, as a list. */
export const many = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
