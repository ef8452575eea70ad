import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ActivityView } from './activity-view.js';
import { ClusterView } from './cluster-view.js';
import { ObjectsView } from './objects-view.js';
import './style.css';

const VIEWS = { cluster: 'Cluster', objects: 'Objects', activity: 'Activity' } as const;
type View = keyof typeof VIEWS;

const current = (): View => {
  const name = location.hash.slice(1);
  return name in VIEWS ? (name as View) : 'cluster';
};

function App() {
  const [view, setView] = useState<View>(current());
  useEffect(() => {
    const onHash = () => setView(current());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return (
    <>
      <header>
        <h1>Shardstore</h1>
        <nav>
          {(Object.keys(VIEWS) as View[]).map((v) => (
            <a key={v} class={v === view ? 'active' : ''} href={`#${v}`}>{VIEWS[v]}</a>
          ))}
        </nav>
        <form method="post" action="/_console/sign-out"><button type="submit" class="link">Sign out</button></form>
      </header>
      <main>{view === 'cluster' ? <ClusterView /> : view === 'objects' ? <ObjectsView /> : <ActivityView />}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
