// Applies pipeline status (the JSON embedded in the page, then server-sent events) to the server-rendered DAG.
"use strict";
(function () {
  const ago = (iso) => {
    if (!iso) return "";
    const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (s < 90) return `built ${Math.round(s)}s ago`;
    if (s < 5400) return `built ${Math.round(s / 60)}m ago`;
    if (s < 129600) return `built ${Math.round(s / 3600)}h ago`;
    return `built ${Math.round(s / 86400)}d ago`;
  };
  const text = (el, value) => {
    if (el) el.textContent = value;
  };

  function apply(status) {
    for (const node of document.querySelectorAll("#dag .node")) {
      if (node.classList.contains("kind-declaration")) continue;
      const s = status.actions[node.dataset.action] || { status: "never run" };
      node.setAttribute("class", node.getAttribute("class").replace(/status-[a-z-]+/, `status-${s.status.replace(" ", "-")}`));
      node.dataset.status = s.status;
      if (node.classList.contains("assertion")) {
        text(node.querySelector(".line1"), s.status === "failed" && s.rows ? `failed · ${s.rows} row${s.rows === 1 ? "" : "s"}` : s.status);
        text(node.querySelector("title"), [node.dataset.action, s.error ? `error: ${s.error}` : ""].filter(Boolean).join("\n"));
        continue;
      }
      const parts = [s.status];
      if (s.seconds !== undefined && s.status !== "running") parts.push(`${s.seconds.toFixed(2)}s`);
      if (s.rows !== undefined && s.rows !== null) parts.push(`${Number(s.rows).toLocaleString("en-US")} rows`);
      text(node.querySelector(".line1"), parts.join(" · "));
      text(node.querySelector(".line2"), s.status === "skipped" ? `because ${s.skippedBecause || "?"}` : ago(s.lastSuccess));
      text(
        node.querySelector("title"),
        [node.dataset.action, s.error ? `error: ${s.error}` : "", s.skippedBecause ? `skipped because ${s.skippedBecause} did not succeed` : ""].filter(Boolean).join("\n"),
      );
    }
    const problems = document.getElementById("problems");
    problems.replaceChildren();
    for (const [name, s] of Object.entries(status.actions)) {
      if (s.status !== "failed" && s.status !== "skipped") continue;
      const li = document.createElement("li");
      li.className = `status-${s.status}`;
      li.dataset.action = name;
      li.textContent = s.status === "failed" ? `${name} failed: ${s.error || "(no message)"}` : `${name} skipped because ${s.skippedBecause} did not succeed`;
      problems.append(li);
    }
    if (!problems.children.length) problems.innerHTML = '<li class="muted">none in the latest results</li>';
    const banner = document.getElementById("live-banner");
    banner.hidden = !status.live;
    if (status.live) banner.textContent = `running now: ${status.live.command} (since ${new Date(status.live.startedAt).toLocaleTimeString()})`;
    drawRuns(status.runs);
    drawIngest(status.ingest || []);
  }

  function drawIngest(streams) {
    const box = document.getElementById("ingest");
    if (!streams.length) {
      box.innerHTML = '<p class="muted">no ingest is running: <code>npx pulse stream</code> or <code>npx pulse ingest --source kafka</code></p>';
      return;
    }
    const cols = ["source", "name", "stream", "partitions", "lag", "deadLetters", "lastFlush"];
    const heads = { name: "group / project", stream: "topic / subscription", deadLetters: "dead letters", lastFlush: "last flush" };
    box.innerHTML = `<table id="ingest-table"><thead><tr>${cols.map((c) => `<th>${heads[c] || c}</th>`).join("")}</tr></thead><tbody></tbody></table>`;
    const body = box.querySelector("tbody");
    for (const s of streams) {
      const tr = document.createElement("tr");
      if (s.deadLetters > 0) tr.className = "has-dead-letters";
      for (const c of cols) {
        const td = document.createElement("td");
        td.dataset.col = c;
        const value = s[c];
        td.textContent = value === null || value === undefined ? "" : typeof value === "number" ? value.toLocaleString("en-US") : c === "lastFlush" ? new Date(value).toLocaleTimeString() : value;
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function drawRuns(runs) {
    const chart = document.getElementById("run-chart");
    const rows = runs.map((r) => ({ ...r, started: new Date(r.started_at) })).reverse();
    chart.replaceChildren();
    if (rows.length && window.Plot) {
      chart.append(
        Plot.plot({
          height: 180,
          marginLeft: 50,
          x: { label: "run started", type: "time" },
          y: { label: "duration (s)", grid: true, zero: true },
          marks: [
            Plot.lineY(rows, { x: "started", y: "seconds", stroke: "#888" }),
            Plot.dot(rows, { x: "started", y: "seconds", fill: (d) => (d.status === "failed" ? "#d62728" : "#2ca02c"), r: 4, tip: true, title: (d) => `${d.command}\n${d.seconds}s, ${d.status}` }),
          ],
        }),
      );
    }
    const table = document.getElementById("run-table");
    const cols = ["started_at", "status", "seconds", "actions", "succeeded", "failed", "skipped", "command"];
    table.innerHTML = rows.length
      ? `<table id="runs"><thead><tr>${cols.map((c) => `<th>${c}</th>`).join("")}</tr></thead><tbody></tbody></table>`
      : '<p class="muted">no runs yet: <code>npx pulse run</code></p>';
    const body = table.querySelector("tbody");
    for (const r of runs.slice(0, 20)) {
      const tr = document.createElement("tr");
      for (const c of cols) {
        const td = document.createElement("td");
        td.dataset.col = c;
        td.textContent = r[c] ?? "";
        tr.append(td);
      }
      body.append(tr);
    }
  }

  apply(JSON.parse(document.getElementById("pipeline-data").textContent));
  if (location.protocol.startsWith("http") && document.body.dataset.static !== "true" && window.EventSource) {
    const events = new EventSource("/api/pipeline/events");
    events.onmessage = (message) => apply(JSON.parse(message.data));
  }
})();
