// Every grant on the keys the caller may list, with revoke.
import * as api from "../api.js";
import { h, show, loading, empty, errorBox, time, table, action } from "../ui.js";

export function grantsView() {
  const list = h("div", {}, loading("grants"));
  const load = async () => {
    try {
      const keys = await api.all("ListKeys", {}, "Keys");
      const grants = await api.each(keys, (k) => api.all("ListGrants", { KeyId: k.KeyId }, "Grants"));
      const rows = [];
      grants.forEach((g, i) => {
        if (g.error) rows.push(h("tr", {}, h("td", { class: "mono" }, keys[i].KeyId), h("td", { colspan: 5 }, errorBox(g.error))));
        else for (const grant of g.value) rows.push(h("tr", {},
          h("td", { class: "mono" }, h("a", { href: `#/keys/${keys[i].KeyId}` }, keys[i].KeyId)),
          h("td", {}, grant.Name || "—"), h("td", { class: "mono" }, grant.GranteePrincipal), h("td", {}, grant.Operations.join(", ")),
          h("td", {}, time(grant.CreationDate)),
          h("td", {}, action("Revoke", async () => { await api.kms("RevokeGrant", { KeyId: keys[i].KeyId, GrantId: grant.GrantId }); load(); }, { class: "small danger" }))));
      });
      show(list, rows.length ? table(["Key", "Name", "Grantee", "Operations", "Created", ""], rows)
        : empty("No grants on any key of this account."));
    } catch (e) {
      show(list, errorBox(e));
    }
  };
  load();
  return h("div", { class: "view" }, h("div", { class: "view-head" }, h("h1", {}, "Grants")), list);
}
