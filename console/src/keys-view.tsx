import { useEffect, useState } from 'preact/hooks';
import { adminGet, adminSend, SignedOut, type KeyInfo, type Namespace } from './admin-api.js';

const ACCESS = ['read', 'write', 'owner'] as const;

/** S3 access keys and their rights on buckets, and which buckets anyone may read: what `shardstore keys` and `buckets` do. */
export function KeysView() {
  const [keys, setKeys] = useState<KeyInfo[]>([]);
  const [buckets, setBuckets] = useState<Namespace[]>([]);
  const [created, setCreated] = useState<{ accessKey: string; secretKey: string } | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [reloads, setReloads] = useState(0);
  const [name, setName] = useState('');
  const [admin, setAdmin] = useState(false);
  const [grant, setGrant] = useState({ key: '', bucket: '', access: 'read' as (typeof ACCESS)[number] });

  const guard = async (work: () => Promise<unknown>) => {
    try {
      setError(undefined);
      await work();
      setReloads((n) => n + 1);
    } catch (e) {
      if (e instanceof SignedOut) location.reload();
      else setError((e as Error).message);
    }
  };
  useEffect(() => {
    void (async () => {
      try {
        setKeys(await adminGet<KeyInfo[]>('/_keys'));
        setBuckets((await adminGet<{ buckets: Namespace[] }>('/_buckets')).buckets.filter((b) => b.kind === 's3'));
      } catch (e) {
        if (e instanceof SignedOut) location.reload();
        else setError((e as Error).message);
      }
    })();
  }, [reloads]);

  const create = (event: Event) => {
    event.preventDefault();
    void guard(async () => {
      setCreated(await adminSend<{ accessKey: string; secretKey: string }>('POST', '/_keys', { name, admin }));
      setName('');
      setAdmin(false);
    });
  };
  const allow = (event: Event) => {
    event.preventDefault();
    const key = grant.key || keys.find((k) => !k.admin)?.accessKey || '';
    const bucket = grant.bucket || buckets[0]?.name || '';
    void guard(() => adminSend('PUT', `/_keys/${encodeURIComponent(key)}/buckets/${encodeURIComponent(bucket)}`, { access: grant.access }));
  };
  const deny = (key: string, bucket: string) => guard(() => adminSend('DELETE', `/_keys/${encodeURIComponent(key)}/buckets/${encodeURIComponent(bucket)}`));
  const remove = (key: string) => guard(async () => confirm(`Delete the access key ${key}? Clients using it stop working.`) && adminSend('DELETE', `/_keys/${encodeURIComponent(key)}`));
  const publicRead = (bucket: string, on: boolean) => {
    // Shown at once (a controlled box would flip back until the reload); the reload after the request says what was saved.
    setBuckets((list) => list.map((b) => (b.name === bucket ? { ...b, publicRead: on } : b)));
    return guard(() => adminSend('PUT', `/_buckets/${encodeURIComponent(bucket)}/public-read`, { publicRead: on }));
  };

  return (
    <section class="keys">
      {error && <p class="problem" role="alert">{error}</p>}
      <h2>Access keys</h2>
      <table>
        <thead><tr><th>Access key</th><th>Name</th><th>Created</th><th>Rights</th><th></th></tr></thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.accessKey} data-access-key={k.accessKey}>
              <td class="mono">{k.accessKey}</td>
              <td>{k.name}</td>
              <td class="muted">{k.createdAt.slice(0, 16).replace('T', ' ')}</td>
              <td data-testid="rights">
                {k.admin ? <span class="badge up">administrator</span> : Object.entries(k.buckets).map(([bucket, access]) => (
                  <span key={bucket} class="grant">{bucket}: {access} <button class="link" aria-label={`Deny ${bucket}`} onClick={() => void deny(k.accessKey, bucket)}>×</button></span>
                ))}
              </td>
              <td><button class="danger" onClick={() => void remove(k.accessKey)}>Delete</button></td>
            </tr>
          ))}
        </tbody>
      </table>

      <div class="split">
        <form class="details" onSubmit={create}>
          <h3>New key</h3>
          <label>Name <input class="mono" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
          <p><label><input type="checkbox" checked={admin} onChange={(e) => setAdmin((e.target as HTMLInputElement).checked)} /> Administrator (every bucket, every operation)</label></p>
          <button class="button" type="submit">Create key</button>
          {created && (
            <p data-testid="new-secret">
              Secret of <span class="mono">{created.accessKey}</span>, shown only now: <span class="mono wrap">{created.secretKey}</span>
            </p>
          )}
        </form>
        <form class="details" onSubmit={allow}>
          <h3>Allow a key on a bucket</h3>
          <p>
            <select aria-label="Key" value={grant.key} onChange={(e) => setGrant({ ...grant, key: (e.target as HTMLSelectElement).value })}>
              {keys.filter((k) => !k.admin).map((k) => <option key={k.accessKey} value={k.accessKey}>{k.name || k.accessKey}</option>)}
            </select>{' '}
            <select aria-label="Bucket" value={grant.bucket} onChange={(e) => setGrant({ ...grant, bucket: (e.target as HTMLSelectElement).value })}>
              {buckets.map((b) => <option key={b.name} value={b.name}>{b.name}</option>)}
            </select>{' '}
            <select aria-label="Access" value={grant.access} onChange={(e) => setGrant({ ...grant, access: (e.target as HTMLSelectElement).value as (typeof ACCESS)[number] })}>
              {ACCESS.map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </p>
          <button class="button" type="submit">Allow</button>
        </form>
      </div>

      <h2>Buckets</h2>
      <table>
        <thead><tr><th>Bucket</th><th>Anyone may read its objects</th></tr></thead>
        <tbody>
          {buckets.map((b) => (
            <tr key={b.name} data-bucket={b.name}>
              <td>{b.name}</td>
              <td><label><input type="checkbox" aria-label={`Public read ${b.name}`} checked={b.publicRead === true} onChange={(e) => void publicRead(b.name, (e.target as HTMLInputElement).checked)} /> public-read</label></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
