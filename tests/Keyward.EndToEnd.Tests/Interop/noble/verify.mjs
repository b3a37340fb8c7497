// Independent checks of Keyward's Ed25519, ML-DSA and ML-KEM output with the noble libraries (no shared code with
// BouncyCastle). Reads {"checks":[...]} on stdin, prints one JSON result per check, in order:
//   {op:"ed25519-verify", publicKey, message, signature}      pure Ed25519 (RFC 8032), SPKI public key
//   {op:"ed25519ph-verify", publicKey, message, signature}    Ed25519ph over SHA-512(message)
//   {op:"mldsa-verify", level, publicKey, message, signature} ML-DSA-44/65/87, empty context
//   {op:"mlkem-encapsulate", level, publicKey}                -> {cipherText, sharedSecret}
//   {op:"mlkem-keypair", level, privateKey}                   PKCS#8 seed form -> {publicKey} (raw, from the seed)
//   {op:"mlkem-decapsulate", level, privateKey, cipherText}   -> {sharedSecret}
// Byte strings are base64. A check that cannot be done is {"error": "..."}.
import { ed25519, ed25519ph } from '@noble/curves/ed25519.js';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem512, ml_kem768, ml_kem1024 } from '@noble/post-quantum/ml-kem.js';

const b = (s) => new Uint8Array(Buffer.from(s, 'base64'));
const s = (u) => Buffer.from(u).toString('base64');
const dsa = { 44: ml_dsa44, 65: ml_dsa65, 87: ml_dsa87 };
const kem = { 512: ml_kem512, 768: ml_kem768, 1024: ml_kem1024 };
// The key is the tail of a SubjectPublicKeyInfo (its BIT STRING's content), of the algorithm's length.
const tail = (der, n) => der.slice(der.length - n);
// The 64-byte seed d || z is the tail of a seed-only ML-KEM PKCS#8 ([0] IMPLICIT OCTET STRING).
const seedOf = (pkcs8) => tail(pkcs8, 64);

function run(c) {
  switch (c.op) {
    case 'ed25519-verify':
      return { valid: ed25519.verify(b(c.signature), b(c.message), tail(b(c.publicKey), 32)) };
    case 'ed25519ph-verify':
      return { valid: ed25519ph.verify(b(c.signature), b(c.message), tail(b(c.publicKey), 32)) };
    case 'mldsa-verify': {
      const alg = dsa[c.level];
      return { valid: alg.verify(b(c.signature), b(c.message), tail(b(c.publicKey), alg.lengths.publicKey)) };
    }
    case 'mlkem-encapsulate': {
      const alg = kem[c.level];
      const { cipherText, sharedSecret } = alg.encapsulate(tail(b(c.publicKey), alg.lengths.publicKey));
      return { cipherText: s(cipherText), sharedSecret: s(sharedSecret) };
    }
    case 'mlkem-keypair':
      return { publicKey: s(kem[c.level].keygen(seedOf(b(c.privateKey))).publicKey) };
    case 'mlkem-decapsulate': {
      const alg = kem[c.level];
      const { secretKey } = alg.keygen(seedOf(b(c.privateKey)));
      return { sharedSecret: s(alg.decapsulate(b(c.cipherText), secretKey)) };
    }
    default:
      return { error: `unknown op ${c.op}` };
  }
}

const input = JSON.parse(await new Response(process.stdin).text());
for (const c of input.checks) {
  let result;
  try { result = run(c); } catch (e) { result = { error: String(e?.message ?? e) }; }
  process.stdout.write(JSON.stringify(result) + '\n');
}
