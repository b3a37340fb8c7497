#!/usr/bin/env bash
# The AWS developer guide's "Importing key material" procedure, step by step, with the aws CLI
# and openssl only, against a Keyward endpoint:
#   import_key_material.sh <endpoint> <key-spec> <key-usage> <wrapping-algorithm> <wrapping-key-spec>
# Creates an EXTERNAL key, downloads the wrapping public key and import token, generates the
# material with openssl, wraps it (RSAES-OAEP directly, or the RSA_AES_KEY_WRAP two-step with
# `openssl enc -id-aes256-wrap-pad`), imports it with an expiry, checks that the key computes
# what the material computes, deletes the material and re-imports it.
# Needs AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION; AWS_CLI (default /usr/bin/aws) and OPENSSL.
set -euo pipefail
endpoint=$1 spec=$2 usage=$3 algorithm=$4 wrapping_spec=$5
aws=${AWS_CLI:-/usr/bin/aws}
openssl=${OPENSSL:-/usr/bin/openssl}
kms() { "$aws" --endpoint-url "$endpoint" kms "$@"; }
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }
fail() { echo "FAIL: $*" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Step 1: a KMS key with no key material.
key=$(kms create-key --origin EXTERNAL --key-spec "$spec" --key-usage "$usage" --query KeyMetadata.KeyId --output text)
[ "$(kms describe-key --key-id "$key" --query KeyMetadata.KeyState --output text)" = PendingImport ] || fail "new key is not PendingImport"

# Step 2: the key material.
case "$spec" in
  SYMMETRIC_DEFAULT) "$openssl" rand -out PlaintextKeyMaterial.bin 32 ;;
  HMAC_*) "$openssl" rand -out PlaintextKeyMaterial.bin 64 ;;
  RSA_*) "$openssl" genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${spec#RSA_}" -out private.pem 2>/dev/null
         "$openssl" pkcs8 -topk8 -outform DER -nocrypt -in private.pem -out PlaintextKeyMaterial.bin ;;
  ECC_NIST_P256|ECC_NIST_P384|ECC_NIST_P521)
         "$openssl" genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:P-${spec#ECC_NIST_P}" -out private.pem
         "$openssl" pkcs8 -topk8 -outform DER -nocrypt -in private.pem -out PlaintextKeyMaterial.bin ;;
  *) fail "unsupported spec $spec" ;;
esac

# Steps 3–5: wrapping public key and import token, wrap, import.
import_material() {
  kms get-parameters-for-import --key-id "$key" --wrapping-algorithm "$algorithm" --wrapping-key-spec "$wrapping_spec" \
    --query '[PublicKey,ImportToken]' --output text > params.txt
  cut -f1 params.txt | base64 -d > WrappingPublicKey.bin
  cut -f2 params.txt | base64 -d > ImportToken.bin
  local md=sha256
  [[ "$algorithm" == *_SHA_1 ]] && md=sha1
  local oaep=(-pubin -keyform DER -inkey WrappingPublicKey.bin -pkeyopt rsa_padding_mode:oaep -pkeyopt "rsa_oaep_md:$md" -pkeyopt "rsa_mgf1_md:$md")
  case "$algorithm" in
    RSAES_OAEP_*)
      "$openssl" pkeyutl -encrypt "${oaep[@]}" -in PlaintextKeyMaterial.bin -out EncryptedKeyMaterial.bin ;;
    RSA_AES_KEY_WRAP_*)
      "$openssl" rand -out aes-key.bin 32
      "$openssl" enc -id-aes256-wrap-pad -K "$(hex aes-key.bin)" -iv A65959A6 -in PlaintextKeyMaterial.bin -out key-material-wrapped.bin
      "$openssl" pkeyutl -encrypt "${oaep[@]}" -in aes-key.bin -out aes-key-wrapped.bin
      cat aes-key-wrapped.bin key-material-wrapped.bin > EncryptedKeyMaterial.bin ;;
  esac
  kms import-key-material --key-id "$key" --encrypted-key-material fileb://EncryptedKeyMaterial.bin \
    --import-token fileb://ImportToken.bin "$@" > /dev/null
}
import_material --expiration-model KEY_MATERIAL_EXPIRES --valid-to "$(date -u -d '+30 days' +%Y-%m-%dT%H:%M:%SZ)"
[ "$(kms describe-key --key-id "$key" --query KeyMetadata.KeyState --output text)" = Enabled ] || fail "imported key is not Enabled"
[ "$(kms describe-key --key-id "$key" --query KeyMetadata.ExpirationModel --output text)" = KEY_MATERIAL_EXPIRES ] || fail "no expiration model"

# The key computes what the material computes.
printf 'imported with openssl' > message.bin
check_key() {
  case "$usage" in
    ENCRYPT_DECRYPT)
      kms decrypt --ciphertext-blob fileb://ciphertext.bin --query Plaintext --output text | base64 -d > decrypted.bin
      cmp -s decrypted.bin message.bin || fail "decrypt returned other bytes" ;;
    GENERATE_VERIFY_MAC)
      kms generate-mac --key-id "$key" --message fileb://message.bin --mac-algorithm HMAC_SHA_256 --query Mac --output text | base64 -d > kms-mac.bin
      "$openssl" dgst -sha256 -mac HMAC -macopt "hexkey:$(hex PlaintextKeyMaterial.bin)" -binary -out local-mac.bin message.bin
      cmp -s kms-mac.bin local-mac.bin || fail "GenerateMac differs from openssl's HMAC" ;;
    SIGN_VERIFY)
      local digest=sha256 algorithm=ECDSA_SHA_256
      case "$spec" in
        RSA_*) algorithm=RSASSA_PKCS1_V1_5_SHA_256 ;;
        ECC_NIST_P384) digest=sha384 algorithm=ECDSA_SHA_384 ;;
        ECC_NIST_P521) digest=sha512 algorithm=ECDSA_SHA_512 ;;
      esac
      kms get-public-key --key-id "$key" --query PublicKey --output text | base64 -d > kms-public.der
      "$openssl" pkey -in private.pem -pubout -outform DER -out local-public.der
      cmp -s kms-public.der local-public.der || fail "GetPublicKey differs from the imported key's public key"
      kms sign --key-id "$key" --message fileb://message.bin --message-type RAW --signing-algorithm "$algorithm" \
        --query Signature --output text | base64 -d > signature.bin
      "$openssl" dgst "-$digest" -verify <("$openssl" pkey -in private.pem -pubout) -signature signature.bin message.bin > /dev/null \
        || fail "openssl does not verify the signature" ;;
  esac
}
if [ "$usage" = ENCRYPT_DECRYPT ]; then
  kms encrypt --key-id "$key" --plaintext fileb://message.bin --query CiphertextBlob --output text | base64 -d > ciphertext.bin
fi
check_key

# Delete the material: the key waits for it. Re-import the same material: it works again.
kms delete-imported-key-material --key-id "$key"
[ "$(kms describe-key --key-id "$key" --query KeyMetadata.KeyState --output text)" = PendingImport ] || fail "not PendingImport after delete"
import_material --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE
[ "$(kms describe-key --key-id "$key" --query KeyMetadata.KeyState --output text)" = Enabled ] || fail "not Enabled after re-import"
check_key
echo "import procedure ok: $spec $usage $algorithm $wrapping_spec"
