const SPECIAL = /[<>&'"\r]/;
const ENTITIES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;', '\r': '&#13;' };

/** Text for an XML element. Most values (keys, dates, numbers) need no escaping: tested once before a new string is built. */
export const escapeXml = (s: string): string => (SPECIAL.test(s) ? s.replace(/[<>&'"\r]/g, (c) => ENTITIES[c]!) : s);
