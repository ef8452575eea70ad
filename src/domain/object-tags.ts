/** One object tag (S3 object tagging): a case-sensitive key and its value. */
export interface ObjectTag {
  readonly key: string;
  readonly value: string;
}

/** The stored header that holds an object's tags, in URL query form (`k1=v1&k2=v2`); never sent as a header. */
export const TAGS_HEADER = 'x-amz-tagging';

/** S3's limits: at most 10 tags, keys of 1 to 128 characters, values of up to 256. */
export const MAX_TAGS = 10;
const MAX_KEY_CHARS = 128;
const MAX_VALUE_CHARS = 256;
/** Letters, digits and spaces of any script, and `_ . : / = + - @`, as AWS allows in tags. */
const ALLOWED = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

/** Why a tag set is refused (S3's code and message), or undefined when it is acceptable. */
export function tagSetProblem(tags: readonly ObjectTag[]): { code: 'InvalidTag' | 'BadRequest'; message: string } | undefined {
  if (tags.length > MAX_TAGS) return { code: 'BadRequest', message: `Object tags cannot be greater than ${MAX_TAGS}` };
  const seen = new Set<string>();
  for (const { key, value } of tags) {
    const keyChars = [...key].length;
    if (keyChars < 1 || keyChars > MAX_KEY_CHARS || !ALLOWED.test(key)) {
      return { code: 'InvalidTag', message: `The TagKey you have provided is invalid: 1 to ${MAX_KEY_CHARS} letters, digits, spaces and _ . : / = + - @` };
    }
    if (key.toLowerCase().startsWith('aws:')) return { code: 'InvalidTag', message: 'Your TagKey cannot be prefixed with aws:' };
    if ([...value].length > MAX_VALUE_CHARS || !ALLOWED.test(value)) {
      return { code: 'InvalidTag', message: `The TagValue you have provided is invalid: up to ${MAX_VALUE_CHARS} letters, digits, spaces and _ . : / = + - @` };
    }
    if (seen.has(key)) return { code: 'InvalidTag', message: 'Cannot provide multiple Tags with the same key' };
    seen.add(key);
  }
  return undefined;
}

/** Tags from their URL query form (the `x-amz-tagging` request header, and how they are stored). */
export function parseTagQuery(query: string): ObjectTag[] {
  if (query === '') return [];
  return [...new URLSearchParams(query)].map(([key, value]) => ({ key, value }));
}

/** The URL query form of a tag set. */
export const tagQuery = (tags: readonly ObjectTag[]): string => new URLSearchParams(tags.map((t): [string, string] => [t.key, t.value])).toString();

/** An object's tags, from its stored headers. */
export const tagsOf = (headers: Readonly<Record<string, string>> | null | undefined): ObjectTag[] => parseTagQuery(headers?.[TAGS_HEADER] ?? '');

/** Stored headers with the tag set replaced (an empty set removes the entry). */
export function withTags(headers: Readonly<Record<string, string>> | null | undefined, tags: readonly ObjectTag[]): Record<string, string> {
  const { [TAGS_HEADER]: _previous, ...rest } = headers ?? {};
  return tags.length ? { ...rest, [TAGS_HEADER]: tagQuery(tags) } : rest;
}
