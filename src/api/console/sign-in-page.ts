/** The console's sign-in form: plain HTML, no script; the token goes in a POST body, never in a URL. */
export function signInPage(problem?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shardstore console — sign in</title>
<link rel="icon" type="image/svg+xml" href="/_console/favicon.svg">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; background: #0f172a; color: #e2e8f0; display: grid; place-items: center; align-content: center; gap: 1.5rem; min-height: 100vh; margin: 0; }
  form.key h1 { font-size: 1.05rem; }
  form.key label { margin-top: .6rem; }
  form { background: #1e293b; padding: 2rem; border-radius: 12px; width: min(24rem, 90vw); box-shadow: 0 10px 30px #0006; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: .4rem; color: #94a3b8; }
  input { width: 100%; box-sizing: border-box; padding: .6rem; border-radius: 6px; border: 1px solid #475569; background: #0f172a; color: inherit; font: inherit; }
  button { margin-top: 1rem; width: 100%; padding: .6rem; border: 0; border-radius: 6px; background: #38bdf8; color: #0f172a; font: inherit; font-weight: 600; cursor: pointer; }
  .problem { color: #fca5a5; margin: 0 0 1rem; }
  .hint { color: #64748b; font-size: .85rem; margin-top: 1rem; }
</style>
</head>
<body>
<form method="post" action="/_console/session">
  <h1>Shardstore console</h1>
  ${problem ? `<p class="problem" role="alert">${problem}</p>` : ''}
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Sign in</button>
  <p class="hint">The admin token is in the cluster's <code>cluster.json</code> (<code>adminToken</code>) or the gateway's <code>--admin-token</code>.</p>
</form>
<form method="post" action="/_console/session" class="key">
  <h1>…or with an S3 access key</h1>
  <p class="hint">The objects of S3 buckets only.</p>
  <label for="access_key">Access key</label>
  <input id="access_key" name="access_key" autocomplete="username" required>
  <label for="secret_key">Secret key</label>
  <input id="secret_key" name="secret_key" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in with the key</button>
</form>
</body>
</html>
`;
}
