// The AWS Encryption SDK for JavaScript against a running Keyward: envelope encryption with
// a KMS keyring whose KMS client only has its endpoint changed.
// Usage: node esdk_interop.mjs <endpoint-url>; credentials come from the environment.
import assert from 'node:assert/strict';
import { KmsKeyringNode, buildClient, CommitmentPolicy, getClient } from '@aws-crypto/client-node';
import { KMS, KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';

const endpoint = process.argv[2];
const region = 'us-east-1';
const kms = new KMSClient({ endpoint, region });
const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'esdk interop' }));
const { KeyMetadata: second } = await kms.send(new CreateKeyCommand({ Description: 'esdk interop, second' }));

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const clientProvider = getClient(KMS, { endpoint });
const keyring = new KmsKeyringNode({ generatorKeyId: KeyMetadata.Arn, keyIds: [second.Arn], clientProvider });

const message = Buffer.from('hello from the AWS Encryption SDK, '.repeat(100));
const encryptionContext = { stage: 'interop', purpose: 'keyward' };
const { result } = await encrypt(keyring, message, { encryptionContext });
assert.ok(!result.includes(message.subarray(0, 32)), 'ciphertext must not contain the plaintext');

// Decrypt with the same keyring, with a keyring that only knows the second key, and by discovery.
for (const k of [
  keyring,
  new KmsKeyringNode({ keyIds: [second.Arn], clientProvider }),
  new KmsKeyringNode({ discovery: true, clientProvider }),
]) {
  const { plaintext, messageHeader } = await decrypt(k, result);
  assert.deepEqual(plaintext, message);
  assert.equal(messageHeader.encryptionContext.stage, 'interop');
  assert.equal(messageHeader.encryptedDataKeys.length, 2);
}

// A damaged message must not decrypt.
const damaged = Buffer.from(result);
damaged[damaged.length - 40] ^= 1;
await assert.rejects(decrypt(keyring, damaged));
console.log('esdk interop ok');
