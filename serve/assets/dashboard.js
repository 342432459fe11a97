// Draws the dashboard's charts with Observable Plot from the rows the server embedded (the tables print the same rows).
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const mount = (name, chart) => {
    const el = document.querySelector(`[data-chart="${name}"]`);
    if (el) el.replaceChildren(chart);
  };
  const bins = data.bpmByBin;
  if (bins.length) {
    mount(
      "bpmByBin",
      Plot.plot({
        height: 260,
        marginBottom: 50,
        fx: { label: "age bin" },
        x: { axis: null },
        y: { label: "BPM", grid: true },
        color: { legend: true },
        marks: [
          Plot.ruleX(bins, { fx: "age", x: "gender", y1: "min_bpm", y2: "max_bpm", stroke: "gender" }),
          Plot.dot(bins, {
            fx: "age",
            x: "gender",
            y: "avg_bpm",
            fill: "gender",
            r: 5,
            tip: true,
            title: (d) => `${d.age} ${d.gender}: min ${d.min_bpm}, avg ${d.avg_bpm}, max ${d.max_bpm} (${d.sessions} sessions)`,
          }),
          Plot.tickY(bins, { fx: "age", x: "gender", y: "min_bpm", stroke: "gender" }),
          Plot.tickY(bins, { fx: "age", x: "gender", y: "max_bpm", stroke: "gender" }),
        ],
      }),
    );
  }
  if (data.bpmDistribution.length) {
    mount(
      "bpmDistribution",
      Plot.plot({
        height: 260,
        marginBottom: 50,
        fx: { label: "age bin" },
        x: { axis: null },
        y: { label: "session average BPM", grid: true },
        color: { legend: true },
        marks: [Plot.boxY(data.bpmDistribution, { fx: "age", x: "gender", y: "avg_bpm", fill: "gender" })],
      }),
    );
  }
  if (data.sessionsPerDay.length) {
    mount(
      "sessionsPerDay",
      Plot.plot({
        height: 220,
        x: { label: "day", type: "band" },
        y: { label: "sessions", grid: true },
        marks: [
          Plot.barY(data.sessionsPerDay, { x: "day", y: "sessions", fill: "steelblue", tip: true }),
          Plot.text(data.sessionsPerDay, { x: "day", y: "sessions", text: "sessions", dy: -8 }),
          Plot.ruleY([0]),
        ],
      }),
    );
  }
  if (data.gymUsage.length) {
    // In-gym minutes as the wide pale bar, exercising minutes inside it: exercising is part of the visit.
    const rows = data.gymUsage.map((d) => ({ ...d, gym: `gym ${d.gym}` }));
    mount(
      "gymUsage",
      Plot.plot({
        height: 120 + 90 * new Set(rows.map((d) => d.gym)).size,
        marginRight: 60,
        fy: { label: null },
        x: { label: "hour of workout start (UTC)", domain: Array.from({ length: 24 }, (_, h) => h) },
        y: { label: "minutes", grid: true },
        marks: [
          Plot.barY(rows, {
            fy: "gym",
            x: "hour",
            y: "minutes_in_gym",
            fill: "#c9d6e8",
            tip: true,
            title: (d) => `${d.gym}, ${d.hour}h: ${d.minutes_in_gym} min in gym, ${d.minutes_exercising} exercising (${d.workouts} workouts)`,
          }),
          Plot.barY(rows, { fy: "gym", x: "hour", y: "minutes_exercising", fill: "#1f77b4", inset: 5 }),
          Plot.ruleY([0]),
        ],
      }),
    );
    const legend = document.createElement("p");
    legend.className = "muted";
    legend.innerHTML = '<span style="background:#c9d6e8">&nbsp;&nbsp;&nbsp;</span> minutes in gym &nbsp; <span style="background:#1f77b4">&nbsp;&nbsp;&nbsp;</span> minutes exercising';
    document.querySelector('[data-chart="gymUsage"]').append(legend);
  }
})();
