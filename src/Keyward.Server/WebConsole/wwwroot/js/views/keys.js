// The keys of the account: every key with its aliases, state, spec and tags; filters; and the form to create one.
import * as api from "../api.js";
import { h, show, loading, empty, errorBox, badge, time, table, field } from "../ui.js";

const SPECS = {
  SYMMETRIC_DEFAULT: ["ENCRYPT_DECRYPT"],
  RSA_2048: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], RSA_3072: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"], RSA_4096: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
  ECC_NIST_P256: ["SIGN_VERIFY", "KEY_AGREEMENT"], ECC_NIST_P384: ["SIGN_VERIFY", "KEY_AGREEMENT"],
  ECC_NIST_P521: ["SIGN_VERIFY", "KEY_AGREEMENT"], ECC_SECG_P256K1: ["SIGN_VERIFY"], ECC_NIST_EDWARDS25519: ["SIGN_VERIFY"],
  HMAC_224: ["GENERATE_VERIFY_MAC"], HMAC_256: ["GENERATE_VERIFY_MAC"], HMAC_384: ["GENERATE_VERIFY_MAC"], HMAC_512: ["GENERATE_VERIFY_MAC"],
  ML_DSA_44: ["SIGN_VERIFY"], ML_DSA_65: ["SIGN_VERIFY"], ML_DSA_87: ["SIGN_VERIFY"],
  ML_KEM_512: ["ENCAPSULATE_DECAPSULATE"], ML_KEM_768: ["ENCAPSULATE_DECAPSULATE"], ML_KEM_1024: ["ENCAPSULATE_DECAPSULATE"],
};

/** Every key the caller may list, with what DescribeKey, ListAliases and ListResourceTags tell of it. */
export async function loadKeys() {
  const [keys, aliases] = await Promise.all([
    api.all("ListKeys", {}, "Keys"),
    api.all("ListAliases", {}, "Aliases").catch(() => []),
  ]);
  const described = await api.each(keys, (k) => api.kms("DescribeKey", { KeyId: k.KeyId }));
  const tags = await api.each(keys, (k) => api.all("ListResourceTags", { KeyId: k.KeyId }, "Tags"));
  return keys.map((k, i) => ({
    id: k.KeyId,
    arn: k.KeyArn,
    meta: described[i].value?.KeyMetadata,
    error: described[i].error,
    tags: tags[i].value ?? [],
    aliases: aliases.filter((a) => a.TargetKeyId === k.KeyId).map((a) => a.AliasName),
  }));
}

export function keysView() {
  const list = h("div", {}, loading("keys"));
  const state = h("select", { id: "filter-state" }, ["", "Enabled", "Disabled", "PendingDeletion", "PendingImport", "Unavailable"]
    .map((s) => h("option", { value: s }, s || "Any state")));
  const spec = h("select", { id: "filter-spec" }, h("option", { value: "" }, "Any key spec"), Object.keys(SPECS).map((s) => h("option", { value: s }, s)));
  const alias = h("input", { id: "filter-alias", placeholder: "alias contains…", type: "search" });
  const tag = h("input", { id: "filter-tag", placeholder: "tag key or key=value", type: "search" });
  let keys = null;

  const draw = () => {
    if (!keys) return;
    if (keys.length === 0) {
      show(list, empty("This account has no keys yet.", h("a", { href: "#/keys", class: "button", onclick: openCreate }, "Create a key")));
      return;
    }
    const [tagKey, tagValue] = tag.value.includes("=") ? tag.value.split("=", 2) : [tag.value, null];
    const shown = keys.filter((k) =>
      (!state.value || k.meta?.KeyState === state.value)
      && (!spec.value || k.meta?.KeySpec === spec.value)
      && (!alias.value || k.aliases.some((a) => a.includes(alias.value)))
      && (!tagKey || k.tags.some((t) => t.TagKey === tagKey && (tagValue === null || t.TagValue === tagValue))));
    if (shown.length === 0) {
      show(list, empty(`No key matches these filters (${keys.length} keys in all).`));
      return;
    }
    show(list, table(["Aliases", "Key ID", "State", "Key spec", "Usage", "Description", "Created"], shown.map((k) =>
      h("tr", { dataset: { keyId: k.id } },
        h("td", {}, k.aliases.length ? k.aliases.join(", ") : "—"),
        h("td", { class: "mono" }, h("a", { href: `#/keys/${encodeURIComponent(k.id)}` }, k.id)),
        k.meta
          ? [h("td", {}, badge(k.meta.KeyState)), h("td", {}, k.meta.KeySpec), h("td", {}, k.meta.KeyUsage),
            h("td", {}, k.meta.Description || "—"), h("td", {}, time(k.meta.CreationDate))]
          : h("td", { colspan: 5 }, errorBox(k.error))))));
  };
  for (const input of [state, spec, alias, tag]) input.addEventListener("input", draw);

  const createArea = h("div");
  function openCreate(event) {
    event?.preventDefault();
    show(createArea, createForm());
  }

  loadKeys().then((k) => { keys = k; draw(); }).catch((e) => show(list, errorBox(e)));
  return h("div", { class: "view" },
    h("div", { class: "view-head" }, h("h1", {}, "Keys"), h("button", { type: "button", id: "create-key", onclick: openCreate }, "Create key")),
    createArea,
    h("div", { class: "filters" }, state, spec, alias, tag),
    list);
}

function createForm() {
  const description = h("input", { id: "new-description" });
  const spec = h("select", { id: "new-spec" }, Object.keys(SPECS).map((s) => h("option", { value: s }, s)));
  const usage = h("select", { id: "new-usage" });
  const fillUsage = () => show(usage, SPECS[spec.value].map((u) => h("option", { value: u }, u)));
  spec.addEventListener("change", fillUsage);
  fillUsage();
  const alias = h("input", { id: "new-alias", placeholder: "alias/my-key" });
  const tagKey = h("input", { id: "new-tag-key", placeholder: "tag key" });
  const tagValue = h("input", { id: "new-tag-value", placeholder: "tag value" });
  const status = h("div", { role: "status" });
  const submit = h("button", { type: "submit", id: "new-submit" }, "Create");
  return h("form", {
    class: "card create",
    onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      show(status, h("p", { class: "loading" }, "Creating the key…"));
      try {
        const { KeyMetadata } = await api.kms("CreateKey", {
          Description: description.value || undefined, KeySpec: spec.value, KeyUsage: usage.value,
          Tags: tagKey.value ? [{ TagKey: tagKey.value, TagValue: tagValue.value }] : undefined,
        });
        if (alias.value) {
          try {
            await api.kms("CreateAlias", { AliasName: alias.value, TargetKeyId: KeyMetadata.KeyId });
          } catch (e) {
            show(status, errorBox(e, `The key ${KeyMetadata.KeyId} was created, but not its alias.`),
              h("a", { href: `#/keys/${KeyMetadata.KeyId}` }, "Open the key"));
            return;
          }
        }
        location.hash = `#/keys/${KeyMetadata.KeyId}`;
      } catch (e) {
        show(status, errorBox(e));
      } finally {
        submit.disabled = false;
      }
    },
  },
  h("h2", {}, "Create a key"),
  h("div", { class: "grid" }, field("Description", description), field("Key spec", spec), field("Key usage", usage),
    field("Alias", alias), field("Tag key", tagKey), field("Tag value", tagValue)),
  submit, status);
}
