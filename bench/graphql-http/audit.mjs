// Runs graphql-http's serverAudits (GraphQL-over-HTTP conformance) against a running
// ContactGraph. Every request carries the bearer token and X-Purpose, as a client's would.
// Usage: node audit.mjs URL   (CONTACTGRAPH_TOKEN in the environment)
// Prints one JSON line per audit, then a JSON summary line.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
const token = process.env.CONTACTGRAPH_TOKEN;
if (!url || !token) {
  console.error('usage: CONTACTGRAPH_TOKEN=... node audit.mjs URL');
  process.exit(2);
}

function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers || {});
  headers.set('authorization', `Bearer ${token}`);
  headers.set('x-purpose', 'GraphQL-over-HTTP conformance audit');
  return fetch(input, { ...init, headers });
}

const counts = { ok: 0, warn: 0, notice: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn: fetchWithToken })) {
  const result = await audit.fn();
  counts[result.status] = (counts[result.status] || 0) + 1;
  const line = { id: audit.id, status: result.status, name: audit.name };
  if (result.status !== 'ok') {
    line.reason = result.reason;
    line.response = { status: result.response.status, body: await result.response.text() };
  }
  console.log(JSON.stringify(line));
}
console.log(JSON.stringify({ summary: counts }));
