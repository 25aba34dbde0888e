// Takes the README's pictures from a running `./run.sh --dashboard`: sends demo requests
// through the gateway (one with a credential the gateway redacts, one the backend fails),
// finds their traces through the dashboard's telemetry API and photographs the pages.
import { launch, openTrace, openSpan, filterDetails, openStructuredLogs } from './dashboard-pages.mjs';
import path from 'node:path';

const [dashboard, gateway, out] = process.argv.slice(2);
const id = `shot-${Date.now()}`;

async function send(pathAndQuery, headers) {
  const response = await fetch(new URL(pathAndQuery, gateway), { headers });
  await response.arrayBuffer();
  return response.status;
}

async function traceOf(requestId) {
  for (let i = 0; i < 100; i++) {
    const answer = await (await fetch(new URL('api/telemetry/traces', dashboard))).json();
    for (const resource of answer.data.resourceSpans)
      for (const scope of resource.scopeSpans)
        for (const span of scope.spans)
          if (span.attributes.some((a) => a.key === 'http.request.header.x-request-id' && a.value.stringValue?.includes(requestId)))
            return span.traceId;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no trace with x-request-id ${requestId} reached the dashboard`);
}

const ok = await send('/api/hello?lang=en&access_token=eyJhbGciOi', { Authorization: 'Bearer demo-s3cr3t', 'X-Request-Id': `${id}-ok` });
const failed = await send('/api/fail', { 'X-Request-Id': `${id}-fail` });
await send('/api/orders/42?page=2', { 'X-Request-Id': `${id}-orders` });
console.log(`sent: /api/hello -> ${ok}, /api/fail -> ${failed}, /api/orders/42 -> 200`);
const okTrace = await traceOf(`${id}-ok`);
const failTrace = await traceOf(`${id}-fail`);

const browser = await launch();
try {
  const page = browser.page;
  const shot = async (name) => { await page.screenshot({ path: path.join(out, name) }); console.log(`saved ${path.join(out, name)}`); };
  await openTrace(page, dashboard, okTrace, ['GET {**catch-all}', 'HTTP GET 200']);
  await shot('dashboard-trace.png');
  await openSpan(page, 'GET {**catch-all}', 'wire.ip.ttl');
  await filterDetails(page, 'header', 'http.request.header.authorization');
  await shot('dashboard-span-headers.png');
  await filterDetails(page, 'wire.', 'wire.tcp.options');
  await shot('dashboard-span-wire.png');
  await openTrace(page, dashboard, failTrace, ['GET {**catch-all}']);
  await shot('dashboard-trace-502.png');
  await openStructuredLogs(page, dashboard, 'GET /api/fail 502');
  await shot('dashboard-structured-logs.png');
} finally {
  await browser.close();
}
