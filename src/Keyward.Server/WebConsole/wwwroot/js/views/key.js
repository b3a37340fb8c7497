// One key: its metadata and state actions, aliases, tags, policy, rotation, grants and requests per day.
import * as api from "../api.js";
import { h, show, loading, empty, errorBox, badge, time, table, section, action, field } from "../ui.js";
import { usageChart } from "./chart.js";

export function keyView(keyId) {
  const view = h("div", { class: "view" });
  const load = () => {
    show(view, loading("the key"));
    api.kms("DescribeKey", { KeyId: keyId }).then(({ KeyMetadata: meta }) => show(view,
      h("div", { class: "view-head" }, h("h1", {}, "Key ", h("span", { class: "mono", id: "key-id" }, meta.KeyId)),
        h("span", { id: "key-state" }, badge(meta.KeyState))),
      metadataCard(meta, load),
      h("div", { class: "columns" }, aliasesCard(meta), tagsCard(meta)),
      policyCard(meta),
      rotationCard(meta),
      grantsCard(meta),
      section("Requests per day", () => usageChart(meta.Arn)),
    )).catch((e) => show(view, h("div", { class: "view-head" }, h("h1", {}, "Key ", h("span", { class: "mono" }, keyId))), errorBox(e),
      h("p", {}, h("a", { href: "#/keys" }, "Back to the keys"))));
  };
  load();
  return view;
}

function metadataCard(meta, refresh) {
  const rows = [
    ["ARN", meta.Arn], ["State", badge(meta.KeyState)], ["Description", meta.Description || "—"], ["Key spec", meta.KeySpec],
    ["Key usage", meta.KeyUsage], ["Origin", meta.Origin], ["Created", time(meta.CreationDate)],
    meta.DeletionDate ? ["Deletion date", time(meta.DeletionDate)] : null,
    meta.CustomKeyStoreId ? ["Custom key store", meta.CustomKeyStoreId] : null,
    meta.Origin === "EXTERNAL" ? ["Imported material expires", meta.ExpirationModel === "KEY_MATERIAL_EXPIRES" ? time(meta.ValidTo) : meta.ExpirationModel ? "never" : "no material"] : null,
    meta.EncryptionAlgorithms ? ["Encryption algorithms", meta.EncryptionAlgorithms.join(", ")] : null,
    meta.SigningAlgorithms ? ["Signing algorithms", meta.SigningAlgorithms.join(", ")] : null,
    meta.MacAlgorithms ? ["MAC algorithms", meta.MacAlgorithms.join(", ")] : null,
  ].filter(Boolean);
  const days = h("input", { id: "deletion-days", type: "number", min: 7, max: 30, value: 30 });
  const actions = [];
  if (meta.KeyState === "Enabled") actions.push(action("Disable", async () => { await api.kms("DisableKey", { KeyId: meta.KeyId }); refresh(); }, { id: "disable-key" }));
  if (meta.KeyState === "Disabled") actions.push(action("Enable", async () => { await api.kms("EnableKey", { KeyId: meta.KeyId }); refresh(); }, { id: "enable-key" }));
  if (meta.KeyState === "PendingDeletion") {
    actions.push(action("Cancel deletion", async () => { await api.kms("CancelKeyDeletion", { KeyId: meta.KeyId }); refresh(); }, { id: "cancel-deletion" }));
  } else {
    actions.push(h("span", { class: "inline" }, field("Days", days),
      action("Schedule deletion", async () => {
        await api.kms("ScheduleKeyDeletion", { KeyId: meta.KeyId, PendingWindowInDays: Number(days.value) });
        refresh();
      }, { id: "schedule-deletion", class: "danger" })));
  }
  return h("section", { class: "card", dataset: { section: "Metadata" } },
    h("div", { class: "card-head" }, h("h2", {}, "Metadata"), h("div", { class: "actions" }, actions)),
    h("dl", { class: "meta" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}

function aliasesCard(meta) {
  return section("Aliases", async (reload) => {
    const aliases = await api.all("ListAliases", { KeyId: meta.KeyId }, "Aliases");
    const name = h("input", { id: "add-alias", placeholder: "alias/name" });
    return h("div", {},
      aliases.length ? h("ul", { class: "plain" }, aliases.map((a) => h("li", {}, h("span", { class: "mono" }, a.AliasName), " ",
        action("Delete", async () => { await api.kms("DeleteAlias", { AliasName: a.AliasName }); reload(); }, { class: "small" }))))
        : empty("No aliases."),
      h("div", { class: "inline" }, name, action("Add alias", async () => {
        await api.kms("CreateAlias", { AliasName: name.value, TargetKeyId: meta.KeyId });
        reload();
      }, { id: "add-alias-button" })));
  });
}

function tagsCard(meta) {
  return section("Tags", async (reload) => {
    const tags = await api.all("ListResourceTags", { KeyId: meta.KeyId }, "Tags");
    const key = h("input", { id: "add-tag-key", placeholder: "key" });
    const value = h("input", { id: "add-tag-value", placeholder: "value" });
    return h("div", {},
      tags.length ? table(["Key", "Value", ""], tags.map((t) => h("tr", {}, h("td", {}, t.TagKey), h("td", {}, t.TagValue),
        h("td", {}, action("Remove", async () => { await api.kms("UntagResource", { KeyId: meta.KeyId, TagKeys: [t.TagKey] }); reload(); }, { class: "small" })))))
        : empty("No tags."),
      h("div", { class: "inline" }, key, value, action("Add tag", async () => {
        await api.kms("TagResource", { KeyId: meta.KeyId, Tags: [{ TagKey: key.value, TagValue: value.value }] });
        reload();
      }, { id: "add-tag-button" })));
  });
}

function policyCard(meta) {
  return section("Key policy", async (reload) => {
    const { Policy } = await api.kms("GetKeyPolicy", { KeyId: meta.KeyId, PolicyName: "default" });
    let pretty = Policy;
    try { pretty = JSON.stringify(JSON.parse(Policy), null, 2); } catch { /* shown as stored */ }
    const editor = h("textarea", { id: "policy-editor", spellcheck: "false", rows: Math.min(30, pretty.split("\n").length + 2) }, pretty);
    const status = h("div", { id: "policy-status", role: "status" });
    // The page checks that the text is JSON; the server checks the policy itself (MalformedPolicyDocumentException).
    const validate = () => {
      try {
        const doc = JSON.parse(editor.value);
        if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new Error("A policy is a JSON object.");
        show(status);
        return true;
      } catch (e) {
        show(status, errorBox({ name: "Invalid JSON", message: e.message }, "Not saved."));
        return false;
      }
    };
    editor.addEventListener("input", validate);
    return h("div", {}, editor, h("div", { class: "inline" },
      action("Save policy", async () => {
        if (!validate()) return;
        try {
          await api.kms("PutKeyPolicy", { KeyId: meta.KeyId, PolicyName: "default", Policy: editor.value });
        } catch (e) {
          show(status, errorBox(e, "The server refused the policy; nothing was changed."));
          return;
        }
        show(status, h("p", { class: "ok-text" }, "Saved."));
      }, { id: "save-policy" }),
      action("Revert", async () => reload(), { id: "revert-policy" })), status);
  });
}

function rotationCard(meta) {
  return section("Rotation", async (reload) => {
    const symmetric = meta.KeySpec === "SYMMETRIC_DEFAULT";
    const status = await api.kms("GetKeyRotationStatus", { KeyId: meta.KeyId });
    const rotations = await api.all("ListKeyRotations", { KeyId: meta.KeyId }, "Rotations").catch((e) => e);
    const toggle = !symmetric || meta.Origin !== "AWS_KMS" ? null : status.KeyRotationEnabled
      ? action("Disable rotation", async () => { await api.kms("DisableKeyRotation", { KeyId: meta.KeyId }); reload(); }, { id: "disable-rotation" })
      : action("Enable rotation", async () => { await api.kms("EnableKeyRotation", { KeyId: meta.KeyId }); reload(); }, { id: "enable-rotation" });
    return h("div", {},
      h("dl", { class: "meta" },
        h("dt", {}, "Automatic rotation"), h("dd", { id: "rotation-enabled" }, status.KeyRotationEnabled ? "enabled" : "disabled"),
        status.RotationPeriodInDays ? [h("dt", {}, "Period"), h("dd", {}, `${status.RotationPeriodInDays} days`)] : null,
        status.NextRotationDate ? [h("dt", {}, "Next rotation"), h("dd", {}, time(status.NextRotationDate))] : null),
      toggle,
      rotations instanceof Error ? errorBox(rotations)
        : rotations.length ? table(["Rotated", "Type", "Key material"], rotations.map((r) =>
          h("tr", {}, h("td", {}, time(r.RotationDate)), h("td", {}, r.RotationType), h("td", { class: "mono" }, r.KeyMaterialId ?? "—"))))
          : empty("The key has not been rotated."));
  });
}

function grantsCard(meta) {
  return section("Grants", async (reload) => {
    const grants = await api.all("ListGrants", { KeyId: meta.KeyId }, "Grants");
    if (grants.length === 0) return empty("No grants.");
    return table(["Name", "Grantee", "Operations", "Created", ""], grants.map((g) => h("tr", {},
      h("td", {}, g.Name || g.GrantId.slice(0, 12) + "…"), h("td", { class: "mono" }, g.GranteePrincipal),
      h("td", {}, g.Operations.join(", ")), h("td", {}, time(g.CreationDate)),
      h("td", {}, action("Revoke", async () => { await api.kms("RevokeGrant", { KeyId: meta.KeyId, GrantId: g.GrantId }); reload(); }, { class: "small danger" })))));
  });
}
