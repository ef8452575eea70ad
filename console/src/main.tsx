import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { adminGet, SignedOut } from './admin-api.js';
import { ActivityView } from './activity-view.js';
import { ClusterView } from './cluster-view.js';
import { ObjectsView } from './objects-view.js';
import { KeysView } from './keys-view.js';
import './style.css';

const VIEWS = { cluster: 'Cluster', objects: 'Objects', activity: 'Activity', keys: 'Keys' } as const;
type View = keyof typeof VIEWS;
type Identity = { role: 'admin' } | { role: 's3'; accessKey: string };

/** The admin sees every view; an S3 access key the objects of the S3 buckets it has rights on. */
const viewsFor = (identity: Identity): View[] => (identity.role === 'admin' ? ['cluster', 'objects', 'activity', 'keys'] : ['objects']);

const fromHash = (allowed: View[]): View => {
  const name = location.hash.slice(1) as View;
  return allowed.includes(name) ? name : allowed[0]!;
};

function App(props: { identity: Identity }) {
  const allowed = viewsFor(props.identity);
  const [view, setView] = useState<View>(fromHash(allowed));
  useEffect(() => {
    const onHash = () => setView(fromHash(allowed));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return (
    <>
      <header>
        <h1>Shardstore</h1>
        <nav>
          {allowed.map((v) => (
            <a key={v} class={v === view ? 'active' : ''} href={`#${v}`}>{VIEWS[v]}</a>
          ))}
        </nav>
        {props.identity.role === 's3' && <span class="muted" data-testid="identity">access key {props.identity.accessKey}</span>}
        <form method="post" action="/_console/sign-out"><button type="submit" class="link">Sign out</button></form>
      </header>
      <main>{view === 'cluster' ? <ClusterView /> : view === 'objects' ? <ObjectsView /> : view === 'keys' ? <KeysView /> : <ActivityView />}</main>
    </>
  );
}

adminGet<Identity>('/_console/whoami').then(
  (identity) => render(<App identity={identity} />, document.getElementById('app')!),
  (error: unknown) => {
    if (error instanceof SignedOut) location.reload();
    else document.getElementById('app')!.textContent = (error as Error).message;
  },
);
