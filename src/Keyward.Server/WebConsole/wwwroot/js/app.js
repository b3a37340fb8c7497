// The console: a sign-in form, then one view per hash route. Each view is a function of its route's parameters that
// returns an element; views load their own data and show their own loading, empty and error states.
import * as api from "./api.js";
import { h, show, errorBox, field } from "./ui.js";
import { keysView } from "./views/keys.js";
import { keyView } from "./views/key.js";
import { storesView } from "./views/stores.js";
import { grantsView } from "./views/grants.js";
import { auditView } from "./views/audit.js";
import { playgroundView } from "./views/playground.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let region = "us-east-1";

const routes = [
  [/^#\/keys\/([^/]+)$/, (id) => keyView(decodeURIComponent(id)), "keys"],
  [/^#\/keys$/, () => keysView(), "keys"],
  [/^#\/stores$/, () => storesView(), "stores"],
  [/^#\/grants$/, () => grantsView(), "grants"],
  [/^#\/audit$/, () => auditView(), "audit"],
  [/^#\/playground$/, () => playgroundView(), "playground"],
];

function render() {
  if (!api.current()) return signInView();
  nav.hidden = false;
  who.hidden = false;
  const s = api.current();
  show(who, h("span", { class: "who-key", title: "Access key" }, s.accessKeyId), h("span", { class: "who-region" }, s.region),
    h("button", { type: "button", id: "sign-out", onclick: signOut }, "Sign out"));
  const hash = location.hash || "#/keys";
  for (const [pattern, view, name] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    for (const link of nav.querySelectorAll("a")) link.classList.toggle("active", link.dataset.view === name);
    show(main, view(...match.slice(1)));
    return;
  }
  show(main, h("div", { class: "empty" }, h("p", {}, "There is no such page."), h("a", { href: "#/keys" }, "Go to the keys")));
}

function signOut() {
  api.signOut();
  // Nothing of the session stays on the page either.
  location.hash = "";
  render();
}

function signInView() {
  nav.hidden = true;
  who.hidden = true;
  const id = h("input", { name: "accessKeyId", id: "access-key-id", autocomplete: "off", spellcheck: "false", required: true });
  const secret = h("input", { name: "secretAccessKey", id: "secret-access-key", type: "password", autocomplete: "off", required: true });
  const regionInput = h("input", { name: "region", id: "region", value: region, required: true });
  const remember = h("input", { type: "checkbox", id: "remember" });
  const status = h("div", { class: "sign-in-status", role: "status" });
  const submit = h("button", { type: "submit", id: "sign-in" }, "Sign in");
  const form = h("form", {
    class: "sign-in card",
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      show(status, h("p", { class: "loading" }, "Checking the access key…"));
      try {
        await api.signIn(id.value, secret.value, regionInput.value.trim(), remember.checked);
        secret.value = "";
        if (!location.hash || location.hash === "#/") location.hash = "#/keys";
        render();
      } catch (e) {
        show(status, errorBox(e, "The server did not accept this access key."));
      } finally {
        submit.disabled = false;
      }
    },
  },
  h("h1", {}, "Sign in to Keyward"),
  h("p", { class: "hint" }, "Use an access key of an account's root, a user or a role. The page signs every call with it; key policies, grants and identity policies decide what you see."),
  field("Access key ID", id), field("Secret access key", secret), field("Region", regionInput),
  h("label", { class: "check" }, remember, " Remember in this tab until it closes"),
  submit, status);
  show(main, form);
  id.focus();
}

window.addEventListener("hashchange", render);
api.serverRegion().then((r) => { region = r; }).catch(() => {}).finally(() => {
  api.restore();
  render();
});
