import { render } from 'preact';
import { ClusterView } from './cluster-view.js';
import './style.css';

function App() {
  return (
    <>
      <header>
        <h1>Shardstore</h1>
        <nav><a class="active" href="#cluster">Cluster</a></nav>
        <form method="post" action="/_console/sign-out"><button type="submit" class="link">Sign out</button></form>
      </header>
      <main><ClusterView /></main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
