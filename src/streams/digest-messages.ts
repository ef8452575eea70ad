/** What the gateway's thread and the digest thread say to each other. */
export type ToDigestThread =
  | { readonly type: 'data'; readonly job: number; readonly slab: SharedArrayBuffer; readonly length: number }
  | { readonly type: 'end'; readonly job: number }
  | { readonly type: 'drop'; readonly job: number };

export type FromDigestThread =
  | { readonly type: 'free'; readonly job: number; readonly slab: SharedArrayBuffer }
  | { readonly type: 'digests'; readonly job: number; readonly sha256: string; readonly md5: string };
