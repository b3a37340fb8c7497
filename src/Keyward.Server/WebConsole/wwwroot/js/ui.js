// DOM helpers. Text goes in as text nodes, never as HTML: nothing a key's description, tag or policy holds can run.

/** Makes an element: h("a", { href: "#/keys", class: "x", onclick: fn }, "text", child, …). */
export function h(tag, attrs = {}, ...children) {
  const svg = ["svg", "rect", "g", "text", "line", "title"].includes(tag);
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of an element. */
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const loading = (what) => h("p", { class: "loading", role: "status" }, `Loading ${what}…`);

export const empty = (text, ...action) => h("div", { class: "empty" }, h("p", {}, text), ...action);

/** An AWS error as the console shows every one: its type and its message. */
export function errorBox(error, context) {
  const type = error?.name ?? "Error";
  const message = error?.message ?? String(error);
  return h("div", { class: "error-box", role: "alert", dataset: { errorType: type } },
    context ? h("p", { class: "error-context" }, context) : null,
    h("p", {}, h("strong", { class: "error-type" }, type), " ", h("span", { class: "error-message" }, message)));
}

const stateClass = {
  Enabled: "ok", CONNECTED: "ok", Disabled: "off", DISCONNECTED: "off", PendingDeletion: "warn", PendingImport: "warn",
  PendingReplicaDeletion: "warn", CONNECTING: "warn", DISCONNECTING: "warn", Unavailable: "bad", FAILED: "bad",
};

export const badge = (state) => h("span", { class: `badge ${stateClass[state] ?? "off"}`, dataset: { state } }, state);

export const time = (date) => date ? new Date(date).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z") : "—";

/** A section with a heading whose body fills in when its loader settles (each part of a page loads on its own). */
export function section(title, load, ...actions) {
  const body = h("div", { class: "section-body" }, loading(title.toLowerCase()));
  const el = h("section", { class: "card", dataset: { section: title } }, h("div", { class: "card-head" }, h("h2", {}, title), ...actions), body);
  const run = async () => {
    try { show(body, await load(run)); } catch (e) { show(body, errorBox(e)); }
  };
  run();
  return el;
}

/** A button that runs an action, disabled while it runs, and shows what went wrong next to it. */
export function action(label, run, attrs = {}) {
  const status = h("span", { class: "action-status", role: "status" });
  const button = h("button", {
    type: "button", ...attrs,
    onclick: async () => {
      button.disabled = true;
      show(status);
      try { await run(); } catch (e) { show(status, errorBox(e)); } finally { button.disabled = false; }
    },
  }, label);
  return h("span", { class: "action" }, button, status);
}

export const table = (headings, rows) =>
  h("table", {}, h("thead", {}, h("tr", {}, headings.map((t) => h("th", {}, t)))), h("tbody", {}, rows));

export const field = (label, input) => h("label", { class: "field" }, h("span", {}, label), input);

export const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
export const unb64 = (text) => Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
