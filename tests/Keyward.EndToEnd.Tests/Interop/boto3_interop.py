"""boto3 against a running Keyward: the calls an application makes, checked end to end.

Usage: python3 boto3_interop.py <endpoint-url>; credentials come from the environment.
Exits non-zero (with the reason) on the first mismatch.
"""
import base64
import sys

import boto3
from botocore.exceptions import ClientError

endpoint = sys.argv[1]
kms = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1")

key = kms.create_key(Description="boto3", Tags=[{"TagKey": "lang", "TagValue": "python"}])["KeyMetadata"]
assert key["KeyState"] == "Enabled", key
assert key["Arn"].endswith(key["KeyId"]), key
assert hasattr(key["CreationDate"], "year"), "CreationDate must parse as a timestamp"

alias = "alias/boto3-" + key["KeyId"][:8]
kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])

ctx = {"purpose": "interop", "lang": "python"}
enc = kms.encrypt(KeyId=alias, Plaintext=b"hello from boto3", EncryptionContext=ctx)
assert enc["KeyId"] == key["Arn"], enc
dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx)
assert dec["Plaintext"] == b"hello from boto3", dec
assert dec["KeyId"] == key["Arn"], dec

dk = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
assert len(dk["Plaintext"]) == 32
assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]

re = kms.re_encrypt(CiphertextBlob=enc["CiphertextBlob"], SourceEncryptionContext=ctx,
                    DestinationKeyId=key["KeyId"], DestinationEncryptionContext={"v": "2"})
assert kms.decrypt(CiphertextBlob=re["CiphertextBlob"], EncryptionContext={"v": "2"})["Plaintext"] == b"hello from boto3"

assert len(kms.generate_random(NumberOfBytes=17)["Plaintext"]) == 17

paginator = kms.get_paginator("list_keys")
ids = [k["KeyId"] for page in paginator.paginate(PaginationConfig={"PageSize": 1}) for k in page["Keys"]]
assert key["KeyId"] in ids, ids
assert alias in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "lang", "TagValue": "python"}]


def expect_error(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e}"
        return e
    raise AssertionError(f"expected {code}, call succeeded")


expect_error("InvalidCiphertextException", kms.decrypt, CiphertextBlob=enc["CiphertextBlob"])
expect_error("NotFoundException", kms.describe_key, KeyId="alias/does-not-exist")
expect_error("ValidationException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x" * 4097)
kms.disable_key(KeyId=key["KeyId"])
expect_error("DisabledException", kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
deletion = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
assert deletion["KeyState"] == "PendingDeletion" and hasattr(deletion["DeletionDate"], "year"), deletion
expect_error("KMSInvalidStateException", kms.decrypt, CiphertextBlob=enc["CiphertextBlob"], EncryptionContext=ctx)

bad = boto3.client("kms", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="AKIAUNKNOWN000000000", aws_secret_access_key="x")
expect_error("UnrecognizedClientException", bad.list_keys)
print("boto3 interop ok")
