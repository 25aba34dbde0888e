// What the dashboard's page renders for one trace, as JSON on stdout, for the browser
// test: the span names visible in the trace view and the value shown next to one
// attribute in the first span's details. Uses the same driver as scripts/screenshots.sh.
//   node check-trace.mjs DASHBOARD_URL TRACE_ID SPAN_NAME[,SPAN_NAME...] ATTRIBUTE
import { launch, openTrace, openSpan, filterDetails } from './dashboard-pages.mjs';

const [dashboard, traceId, names, attribute] = process.argv.slice(2);
const spanNames = names.split(',');
const browser = await launch();
try {
  const trace = await openTrace(browser.page, dashboard, traceId, spanNames);
  await openSpan(browser.page, spanNames[0], attribute);
  await filterDetails(browser.page, attribute, attribute);
  const details = await browser.page.evaluate(() => document.body.innerText);
  const lines = details.split('\n').map((l) => l.trim());
  const at = lines.indexOf(attribute);
  console.log(JSON.stringify({
    spans: spanNames.filter((n) => trace.includes(n)),
    attribute,
    value: at >= 0 ? lines[at + 1] : null,
  }));
} finally {
  await browser.close();
}
