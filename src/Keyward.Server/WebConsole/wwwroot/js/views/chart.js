// A key's requests per day and per operation, from the audit trail (CloudTrail's LookupEvents), as stacked bars.
import * as api from "../api.js";
import { h, empty } from "../ui.js";

const PAGES = 10; // at most 500 events: the chart shows recent use, not all of history
const COLORS = ["#2f6fde", "#e07a1f", "#2e9e5b", "#b8407a", "#7a5bd6", "#8a8a2e", "#d64545", "#3a9eb0"];

export async function usageChart(keyArn) {
  const events = [];
  let NextToken;
  for (let page = 0; page < PAGES; page++) {
    const answer = await api.lookupEvents({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: keyArn }], NextToken });
    events.push(...answer.Events);
    NextToken = answer.NextToken;
    if (!NextToken) break;
  }
  if (events.length === 0) return empty("No requests recorded for this key yet.");
  const days = new Map();
  const operations = new Set();
  for (const e of events) {
    const day = new Date(e.EventTime).toISOString().slice(0, 10);
    const counts = days.get(day) ?? new Map();
    counts.set(e.EventName, (counts.get(e.EventName) ?? 0) + 1);
    days.set(day, counts);
    operations.add(e.EventName);
  }
  const ordered = [...days.keys()].sort();
  const ops = [...operations].sort();
  const color = (op) => COLORS[ops.indexOf(op) % COLORS.length];
  const max = Math.max(...ordered.map((d) => [...days.get(d).values()].reduce((a, b) => a + b, 0)));
  const bar = 36, gap = 16, height = 160, top = 10, left = 36;
  const width = left + ordered.length * (bar + gap);
  const svg = h("svg", { class: "chart", id: "usage-chart", width, height: height + 40, viewBox: `0 0 ${width} ${height + 40}`, role: "img",
    "aria-label": "Requests per day and operation" },
  h("line", { x1: left - 4, y1: top + height, x2: width, y2: top + height, stroke: "#999" }),
  h("text", { x: 0, y: top + 10, class: "axis" }, String(max)),
  ordered.map((day, i) => {
    let y = top + height;
    const x = left + i * (bar + gap);
    return h("g", { dataset: { day } },
      [...days.get(day)].sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => {
        const hgt = Math.max(1, Math.round((n / max) * height));
        y -= hgt;
        return h("rect", { x, y, width: bar, height: hgt, fill: color(op), dataset: { operation: op, count: n } }, h("title", {}, `${day} ${op}: ${n}`));
      }),
      h("text", { x: x + bar / 2, y: top + height + 16, class: "axis", "text-anchor": "middle" }, day.slice(5)));
  }));
  const legend = h("ul", { class: "legend" }, ops.map((op) => h("li", {}, h("svg", { width: 12, height: 12 },
    h("rect", { width: 12, height: 12, fill: color(op) })), ` ${op}`)));
  return h("div", {}, svg, legend, h("p", { class: "hint" }, `${events.length} requests${NextToken ? " (the most recent)" : ""}, by day (UTC).`));
}
