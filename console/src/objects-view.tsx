import { useEffect, useRef, useState } from 'preact/hooks';
import { adminDelete, adminGet, query, SignedOut, type Listing, type Namespace, type ObjectDetails } from './admin-api.js';
import { bytes } from './format.js';
import { upload, type UploadProgress } from './upload.js';

/** Browse a namespace by folder, look into an object's shard map, download, upload and delete. */
export function ObjectsView() {
  const [namespaces, setNamespaces] = useState<Namespace[]>([]);
  const [ns, setNs] = useState<Namespace | undefined>();
  const [prefix, setPrefix] = useState('');
  const [listing, setListing] = useState<Listing | undefined>();
  const [selected, setSelected] = useState<ObjectDetails | undefined>();
  const [uploads, setUploads] = useState<UploadProgress[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [reloads, setReloads] = useState(0);
  const uploadSlots = useRef(0);

  const guard = async (work: () => Promise<void>) => {
    try {
      setError(undefined);
      await work();
    } catch (e) {
      if (e instanceof SignedOut) location.reload();
      else setError((e as Error).message);
    }
  };

  useEffect(() => {
    void guard(async () => {
      const { buckets } = await adminGet<{ buckets: Namespace[] }>('/_buckets');
      setNamespaces(buckets);
      setNs((current) => current ?? buckets[0]);
    });
  }, []);

  useEffect(() => {
    if (!ns) return;
    void guard(async () => setListing(await adminGet<Listing>(`/_browse?${query({ bucket: ns.name, prefix })}`)));
  }, [ns, prefix, reloads]);

  const more = () =>
    guard(async () => {
      if (!ns || !listing?.next) return;
      const page = await adminGet<Listing>(`/_browse?${query({ bucket: ns.name, prefix, after: listing.next })}`);
      setListing({ ...page, folders: [...listing.folders, ...page.folders], objects: [...listing.objects, ...page.objects] });
    });
  const open = (key: string) => guard(async () => setSelected(await adminGet<ObjectDetails>(`/_browse/object?${query({ bucket: ns!.name, key })}`)));
  const remove = (key: string) =>
    guard(async () => {
      if (!confirm(`Delete ${key}?`)) return;
      await adminDelete(`/_browse/object?${query({ bucket: ns!.name, key })}`);
      setSelected(undefined);
      setReloads((n) => n + 1);
    });
  const send = async (files: FileList | File[]) => {
    if (!ns) return;
    for (const file of Array.from(files)) {
      const at = uploadSlots.current++;
      const track = (p: UploadProgress) => setUploads((list) => Object.assign([...list], { [at]: p }));
      track({ name: file.name, sent: 0, total: file.size, done: false });
      await upload(ns, prefix, file, track);
      setReloads((n) => n + 1);
    }
  };

  const crumbs = prefix.split('/').filter(Boolean);
  return (
    <section class="objects">
      {error && <p class="problem" role="alert">{error}</p>}
      <div class="toolbar">
        <label>
          Namespace{' '}
          <select
            aria-label="Namespace"
            value={ns?.name}
            onChange={(e) => {
              setNs(namespaces.find((n) => n.name === (e.target as HTMLSelectElement).value));
              setPrefix('');
              setSelected(undefined);
            }}
          >
            {namespaces.map((n) => (
              <option key={n.name} value={n.name}>{n.title}</option>
            ))}
          </select>
        </label>
        <nav class="crumbs" aria-label="Folder">
          <a href="#objects" onClick={(e) => (e.preventDefault(), setPrefix(''))}>/</a>
          {crumbs.map((c, i) => (
            <a key={i} href="#objects" onClick={(e) => (e.preventDefault(), setPrefix(`${crumbs.slice(0, i + 1).join('/')}/`))}>{c}/</a>
          ))}
        </nav>
      </div>
      {ns && <UploadZone onFiles={send} target={ns.kind === 'filestore' ? 'the file store' : ns.kind === 's3' ? `${ns.title}/${prefix}` : `/${prefix}`} />}
      {uploads.length > 0 && (
        <ul class="uploads">
          {uploads.map((u, i) => (
            <li key={i} data-upload={u.name} data-done={String(u.done && !u.error)}>
              <span>{u.name}</span>
              <progress max={u.total || 1} value={u.sent} />
              <span class={u.error ? 'problem' : 'muted'}>
                {u.error ?? (u.done ? 'stored' : `${bytes(u.sent)} of ${bytes(u.total)}`)}
                {u.done && u.answer?.['owner_key'] ? ` · id ${String(u.answer['id'])} · owner key ${String(u.answer['owner_key'])} (keep it: it deletes the file)` : ''}
              </span>
            </li>
          ))}
        </ul>
      )}
      <div class="split">
        <table class="listing">
          <thead>
            <tr><th>Name</th><th>Size</th><th>Created</th></tr>
          </thead>
          <tbody>
            {listing?.folders.map((f) => (
              <tr key={f} data-folder={f}>
                <td colSpan={3}><a href="#objects" onClick={(e) => (e.preventDefault(), setPrefix(f))}><FolderIcon /> {f.slice(prefix.length)}</a></td>
              </tr>
            ))}
            {listing?.objects.map((o) => (
              <tr key={o.key} data-key={o.key} class={selected?.key === o.key ? 'selected' : ''}>
                <td>
                  <a href="#objects" onClick={(e) => (e.preventDefault(), void open(o.key))}>{o.name ?? o.key.slice(prefix.length)}</a>
                  {o.name && <span class="muted mono guid"> {o.key}</span>}
                </td>
                <td>{bytes(o.size)}</td>
                <td class="muted">{new Date(o.created).toLocaleString('en-GB')}</td>
              </tr>
            ))}
            {listing && listing.folders.length + listing.objects.length === 0 && (
              <tr><td colSpan={3} class="muted">Nothing here yet.</td></tr>
            )}
          </tbody>
        </table>
        {selected && ns && <Details object={selected} ns={ns} onDelete={() => void remove(selected.key)} />}
      </div>
      {listing?.next && <button class="secondary" onClick={() => void more()}>More</button>}
    </section>
  );
}

/** Drawn, not an emoji: a machine without an emoji font showed empty boxes. */
function FolderIcon() {
  return (
    <svg class="icon" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M1.5 3.5h4.2l1.5 1.5h7.3v8.5h-13z" fill="#fbbf24" stroke="#b45309" stroke-width="1" stroke-linejoin="round" />
    </svg>
  );
}

function UploadZone(props: { onFiles: (files: FileList) => void; target: string }) {
  const [over, setOver] = useState(false);
  return (
    <label
      class={`dropzone${over ? ' over' : ''}`}
      onDragOver={(e) => (e.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        if (e.dataTransfer?.files.length) props.onFiles(e.dataTransfer.files);
      }}
    >
      Drop files here or choose them, to upload into <strong>{props.target}</strong>
      <input
        type="file"
        multiple
        aria-label="Upload files"
        onChange={(e) => {
          const input = e.target as HTMLInputElement;
          if (input.files?.length) props.onFiles(input.files);
          input.value = '';
        }}
      />
    </label>
  );
}

function Details(props: { object: ObjectDetails; ns: Namespace; onDelete: () => void }) {
  const o = props.object;
  const download = `/_browse/download?${query({ bucket: props.ns.name, key: o.key })}`;
  return (
    <aside class="details" aria-label="Object details">
      <h2 class="mono">{o.key}</h2>
      <dl>
        <dt>Size</dt><dd>{bytes(o.size)} ({o.size.toLocaleString('en')} bytes)</dd>
        <dt>ETag</dt><dd class="mono">{o.etag}</dd>
        <dt>SHA-256</dt><dd class="mono wrap">{o.sha256}</dd>
        <dt>Type</dt><dd>{o.contentType ?? '—'}</dd>
        <dt>Created</dt><dd>{new Date(o.created).toLocaleString('en-GB')}</dd>
        {o.sharedBy > 1 && (<><dt>Shared</dt><dd>its shards serve {o.sharedBy} objects (deduplicated)</dd></>)}
      </dl>
      <div class="actions">
        <a class="button" href={download} download>Download</a>
        <button class="danger" onClick={props.onDelete}>Delete</button>
      </div>
      {o.parts.map((p) => (
        <div key={p.partNo}>
          <h3>
            {o.parts.length > 1 ? `Part ${p.partNo} · ` : ''}{p.scheme.dataShards} data + {p.scheme.parityShards} parity shards, blocks of {bytes(p.scheme.blockSize)}
          </h3>
          <table class="shards">
            <thead>
              <tr><th>#</th><th>Kind</th><th>Node</th><th>Shard size</th></tr>
            </thead>
            <tbody>
              {p.shards.map((s) => (
                <tr key={s.index} data-shard={s.index} data-kind={s.kind}>
                  <td>{s.index}</td>
                  <td><span class={`badge ${s.kind === 'data' ? 'up' : 'joining'}`}>{s.kind}</span></td>
                  <td><span class="mono">{s.node.slice(0, 8)}</span> <span class="muted">{s.nodeUrl ?? 'unknown node'}</span></td>
                  <td>{bytes(s.size)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </aside>
  );
}
