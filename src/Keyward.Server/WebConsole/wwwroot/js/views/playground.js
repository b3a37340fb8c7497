// Encrypt, decrypt, sign and verify with a key the user may use: the same calls an application makes.
import * as api from "../api.js";
import { h, show, errorBox, field, b64, unb64 } from "../ui.js";

export function playgroundView() {
  const keyId = h("input", { id: "play-key", placeholder: "key id, ARN or alias/name", list: "play-keys" });
  const keys = h("datalist", { id: "play-keys" });
  api.all("ListAliases", {}, "Aliases").then((aliases) => show(keys, aliases.filter((a) => a.TargetKeyId)
    .map((a) => h("option", { value: a.AliasName })))).catch(() => {});
  const operation = h("select", { id: "play-operation" }, ["Encrypt", "Decrypt", "Sign", "Verify"].map((o) => h("option", { value: o }, o)));
  const algorithm = h("select", { id: "play-algorithm" });
  const input = h("textarea", { id: "play-input", rows: 4, placeholder: "plaintext" });
  const signature = h("textarea", { id: "play-signature", rows: 3, placeholder: "signature (base64)", hidden: true });
  const output = h("div", { id: "play-output", role: "status" });
  const encoder = new TextEncoder(), decoder = new TextDecoder();

  const relabel = async () => {
    const op = operation.value;
    input.placeholder = op === "Decrypt" ? "ciphertext (base64)" : op === "Encrypt" ? "plaintext" : "message";
    signature.hidden = op !== "Verify";
    show(algorithm);
    algorithm.hidden = op === "Encrypt" || op === "Decrypt";
    if (!algorithm.hidden && keyId.value) {
      try {
        const { KeyMetadata } = await api.kms("DescribeKey", { KeyId: keyId.value });
        show(algorithm, (KeyMetadata.SigningAlgorithms ?? []).map((a) => h("option", { value: a }, a)));
      } catch (e) { show(output, errorBox(e)); }
    }
  };
  operation.addEventListener("change", relabel);
  keyId.addEventListener("change", relabel);

  const run = async (event) => {
    event.preventDefault();
    show(output, h("p", { class: "loading" }, "Working…"));
    try {
      const KeyId = keyId.value;
      switch (operation.value) {
        case "Encrypt": {
          const r = await api.kms("Encrypt", { KeyId, Plaintext: encoder.encode(input.value) });
          show(output, result("Ciphertext (base64)", b64(r.CiphertextBlob)));
          break;
        }
        case "Decrypt": {
          const r = await api.kms("Decrypt", { KeyId: KeyId || undefined, CiphertextBlob: unb64(input.value) });
          show(output, result("Plaintext", decoder.decode(r.Plaintext)), h("p", { class: "hint" }, `Decrypted with ${r.KeyId}.`));
          break;
        }
        case "Sign": {
          const r = await api.kms("Sign", { KeyId, Message: encoder.encode(input.value), MessageType: "RAW", SigningAlgorithm: algorithm.value });
          show(output, result("Signature (base64)", b64(r.Signature)));
          break;
        }
        case "Verify": {
          try {
            await api.kms("Verify", { KeyId, Message: encoder.encode(input.value), MessageType: "RAW", Signature: unb64(signature.value), SigningAlgorithm: algorithm.value });
            show(output, h("p", { class: "ok-text", id: "play-valid" }, "The signature is valid."));
          } catch (e) {
            if (e.name !== "KMSInvalidSignatureException") throw e;
            show(output, h("p", { class: "bad-text", id: "play-valid" }, "The signature is not valid (KMSInvalidSignatureException)."));
          }
          break;
        }
      }
    } catch (e) {
      show(output, errorBox(e));
    }
  };
  return h("div", { class: "view" }, h("div", { class: "view-head" }, h("h1", {}, "Playground")),
    h("form", { class: "card playground", onsubmit: run },
      h("div", { class: "grid" }, field("Key", keyId), field("Operation", operation), field("Algorithm", algorithm)), keys,
      input, signature, h("button", { type: "submit", id: "play-run" }, "Run")),
    output);
}

function result(label, text) {
  return h("div", { class: "card result" }, h("h2", {}, label), h("pre", { class: "mono wrap", id: "play-result" }, text));
}
