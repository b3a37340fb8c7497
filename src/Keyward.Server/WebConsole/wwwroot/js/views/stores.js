// Custom key stores: connection state and error code, what each is connected to, and connect/disconnect.
import * as api from "../api.js";
import { h, show, loading, empty, errorBox, badge, time, table, action } from "../ui.js";

export function storesView() {
  const list = h("div", {}, loading("key stores"));
  const load = async () => {
    try {
      const stores = await api.all("DescribeCustomKeyStores", {}, "CustomKeyStores");
      if (stores.length === 0) {
        show(list, empty("This account has no custom key stores. Create one with CreateCustomKeyStore: an HSM key store on a PKCS#11 cluster or an external key store behind an XKS proxy (docs/external-key-stores.md)."));
        return;
      }
      show(list, table(["Name", "ID", "Type", "State", "Error", "Backed by", "Created", ""], stores.map((s) => h("tr", { dataset: { storeId: s.CustomKeyStoreId } },
        h("td", {}, s.CustomKeyStoreName), h("td", { class: "mono" }, s.CustomKeyStoreId), h("td", {}, s.CustomKeyStoreType),
        h("td", {}, badge(s.ConnectionState)), h("td", {}, s.ConnectionErrorCode ?? "—"),
        h("td", { class: "mono" }, s.CloudHsmClusterId ?? (s.XksProxyConfiguration ? s.XksProxyConfiguration.UriEndpoint + s.XksProxyConfiguration.UriPath : "—")),
        h("td", {}, time(s.CreationDate)),
        h("td", {}, s.ConnectionState === "DISCONNECTED" || s.ConnectionState === "FAILED"
          ? action("Connect", async () => { await api.kms("ConnectCustomKeyStore", { CustomKeyStoreId: s.CustomKeyStoreId }); load(); })
          : action("Disconnect", async () => { await api.kms("DisconnectCustomKeyStore", { CustomKeyStoreId: s.CustomKeyStoreId }); load(); }, { class: "danger" }))))));
    } catch (e) {
      show(list, errorBox(e));
    }
  };
  load();
  return h("div", { class: "view" }, h("div", { class: "view-head" }, h("h1", {}, "Custom key stores"),
    h("button", { type: "button", onclick: load }, "Refresh")), list);
}
