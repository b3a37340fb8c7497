// The audit trail through CloudTrail's LookupEvents: one attribute filter, a time range, newest first, older pages on
// demand; each event opens to its CloudTrail JSON and says whether the hash chain verifies up to it.
import * as api from "../api.js";
import { h, show, loading, empty, errorBox, time, table, field } from "../ui.js";

const ATTRIBUTES = ["", "EventName", "ResourceName", "Username", "AccessKeyId", "EventId", "ReadOnly", "ResourceType", "EventSource"];

export function auditView() {
  const attribute = h("select", { id: "audit-attribute" }, ATTRIBUTES.map((a) => h("option", { value: a }, a || "No filter")));
  const value = h("input", { id: "audit-value", placeholder: "value" });
  const start = h("input", { id: "audit-start", type: "datetime-local", step: 1 });
  const end = h("input", { id: "audit-end", type: "datetime-local", step: 1 });
  const results = h("div", { id: "audit-results" });
  const more = h("div");
  // A search started later wins: an answer to an earlier one is dropped (searches may overlap).
  let rows, query, nextToken, generation = 0;

  const utc = (input) => input.value ? new Date(input.value + "Z") : undefined;
  const search = async (event) => {
    event?.preventDefault();
    query = {
      LookupAttributes: attribute.value ? [{ AttributeKey: attribute.value, AttributeValue: value.value }] : undefined,
      StartTime: utc(start), EndTime: utc(end), MaxResults: 50,
    };
    rows = h("tbody");
    results.dataset.state = "loading";
    results.dataset.filter = query.LookupAttributes ? `${attribute.value}=${value.value}` : "";
    show(results, loading("events"));
    show(more);
    await page(true);
  };
  const page = async (first) => {
    const mine = first ? ++generation : generation;
    try {
      const answer = await api.lookupEvents({ ...query, NextToken: first ? undefined : nextToken });
      if (mine !== generation) return;
      nextToken = answer.NextToken;
      results.dataset.state = "done";
      if (first && answer.Events.length === 0) {
        show(results, empty("No events match."));
        return;
      }
      if (first) show(results, h("table", {}, h("thead", {}, h("tr", {}, ["Time (UTC)", "Event", "User", "Key", "Error", "Chain"].map((t) => h("th", {}, t)))), rows));
      for (const e of answer.Events) rows.append(...eventRows(e));
      show(more, nextToken ? h("button", { type: "button", id: "audit-more", onclick: () => page(false) }, "Older events") : null);
    } catch (e) {
      if (mine !== generation) return;
      results.dataset.state = "done";
      show(first ? results : more, errorBox(e));
    }
  };
  search();
  return h("div", { class: "view" },
    h("div", { class: "view-head" }, h("h1", {}, "Audit trail")),
    h("form", { class: "filters", onsubmit: search }, attribute, value, field("From", start), field("To", end),
      h("button", { type: "submit", id: "audit-search" }, "Search")),
    results, more);
}

function eventRows(e) {
  const trail = JSON.parse(e.CloudTrailEvent);
  const chain = trail.additionalEventData?.chain;
  const detail = h("tr", { class: "detail", hidden: true }, h("td", { colspan: 6 }, h("pre", { class: "json" }, JSON.stringify(trail, null, 2))));
  const row = h("tr", {
    class: "event", tabindex: 0, dataset: { eventName: e.EventName, eventId: e.EventId },
    onclick: () => { detail.hidden = !detail.hidden; },
    onkeydown: (k) => { if (k.key === "Enter") detail.hidden = !detail.hidden; },
  },
  h("td", {}, time(e.EventTime)), h("td", {}, e.EventName), h("td", {}, e.Username ?? "—"),
  h("td", { class: "mono" }, (e.Resources ?? []).map((r) => r.ResourceName.split("/").pop()).join(" ") || "—"),
  h("td", {}, trail.errorCode ?? "—"),
  h("td", { class: `chain ${chain?.state ?? "unchecked"}`, title: chain ? `event ${chain.sequence} of the chain` : "" },
    chain?.state === "verified" ? "✓ verified" : chain?.state === "broken" ? "✗ broken" : "not yet checked"));
  return [row, detail];
}
