import { esc, page } from "../html.js";

/** What an empty warehouse shows instead of empty charts: the commands that fill it. */
export function noRunsPage(home: string): string {
  return page({
    title: "no runs yet",
    current: "dashboard",
    body: `<section class="empty"><h1>No runs yet</h1>
<p>The warehouse in <code>${esc(home)}</code> has no run history and no gold tables to chart.</p>
<p>Load data and run the pipeline, then reload this page:</p>
<pre>npx pulse ingest --source landing --once
npx pulse run</pre>
<p>or, for the synthetic demo data: <code>npm start</code></p></section>`,
  });
}
