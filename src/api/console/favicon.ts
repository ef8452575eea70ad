/**
 * The console's icon: an erasure-coded stripe, six data blocks and two parity blocks. Served at
 * `/_console/favicon.svg` without a session (the sign-in page shows it too), and at `/favicon.ico` while
 * the path store holds no object of that name — browsers ask for it on every site.
 */
export const FAVICON = {
  type: 'image/svg+xml',
  body: Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
      '<rect width="32" height="32" rx="6" fill="#0f172a"/>' +
      [0, 1, 2, 3, 4, 5].map((i) => `<rect x="${3 + (i % 3) * 9}" y="${4 + Math.floor(i / 3) * 9}" width="7" height="7" rx="1.5" fill="#38bdf8"/>`).join('') +
      '<rect x="3" y="22" width="12" height="7" rx="1.5" fill="#fbbf24"/><rect x="17" y="22" width="12" height="7" rx="1.5" fill="#fbbf24"/>' +
      '</svg>',
  ),
} as const;
