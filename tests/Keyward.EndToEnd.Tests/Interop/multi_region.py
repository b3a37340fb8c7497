"""boto3 against a running Keyward serving two Regions: a Multi-Region key used across them, and CloudTrail's
LookupEvents showing each Region its own calls.

Usage: python3 multi_region.py <endpoint-url> <primary-region> <replica-region>
Credentials come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Exits non-zero with the reason on the first mismatch.
"""
import json
import sys
import time

import boto3
from botocore.exceptions import ClientError

endpoint, east, west = sys.argv[1:4]


def kms(region):
    return boto3.client("kms", endpoint_url=endpoint, region_name=region)


def trail(region):
    return boto3.client("cloudtrail", endpoint_url=endpoint, region_name=region)


def check(condition, what):
    if not condition:
        sys.exit(f"mismatch: {what}")


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


a, b = kms(east), kms(west)
key = a.create_key(MultiRegion=True, Description="boto3 primary")["KeyMetadata"]
check(key["KeyId"].startswith("mrk-") and key["MultiRegion"], f"multi-Region key id: {key['KeyId']}")
check(key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY", "primary type")

reply = a.replicate_key(KeyId=key["KeyId"], ReplicaRegion=west, Description="boto3 replica",
                        Tags=[{"TagKey": "site", "TagValue": "dr"}])
replica = reply["ReplicaKeyMetadata"]
check(replica["Arn"] == key["Arn"].replace(f":{east}:", f":{west}:"), f"replica ARN: {replica['Arn']}")
check(replica["MultiRegionConfiguration"]["PrimaryKey"]["Arn"] == key["Arn"], "replica names its primary")
check(reply["ReplicaTags"] == [{"TagKey": "site", "TagValue": "dr"}], f"replica tags: {reply['ReplicaTags']}")
check(error_of(lambda: a.replicate_key(KeyId=key["KeyId"], ReplicaRegion=west)) == "AlreadyExistsException",
      "a second replica in one Region")
check(error_of(lambda: b.replicate_key(KeyId=key["KeyId"], ReplicaRegion=east)) == "UnsupportedOperationException",
      "a replica cannot be replicated")

described = a.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
check([r["Region"] for r in described["ReplicaKeys"]] == [west], f"replicas: {described['ReplicaKeys']}")

# Each way across the Regions, with an encryption context.
for enc, dec in ((a, b), (b, a)):
    blob = enc.encrypt(KeyId=key["KeyId"], Plaintext=b"across regions", EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = dec.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    check(out["Plaintext"] == b"across regions", "plaintext across Regions")
    check(error_of(lambda: dec.decrypt(CiphertextBlob=blob)) == "InvalidCiphertextException", "the context still binds")

# The replica's Region lists it; the primary's description and tags are its own.
listed = [k["KeyArn"] for p in b.get_paginator("list_keys").paginate() for k in p["Keys"]]
check(replica["Arn"] in listed and key["Arn"] not in listed, "ListKeys in the replica's Region")
check(b.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "site", "TagValue": "dr"}], "replica tags")
check(a.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [], "primary tags")

# CloudTrail is regional: ReplicateKey is recorded where the primary is; the replica's Region sees its own calls. The
# audit log is indexed for LookupEvents shortly after each call, so the lookup is repeated until the calls are there.
def names(region):
    found = set()
    for page in trail(region).get_paginator("lookup_events").paginate(
            LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key["KeyId"]}]):
        for e in page["Events"]:
            if "errorCode" not in json.loads(e["CloudTrailEvent"]):
                found.add(e["EventName"])
    return found


deadline = time.monotonic() + 60
while True:
    east_names, west_names = names(east), names(west)
    if {"CreateKey", "ReplicateKey", "ListResourceTags"} <= east_names and {"Decrypt", "ListResourceTags"} <= west_names:
        break
    check(time.monotonic() < deadline, f"the audit log shows {east_names} in {east} and {west_names} in {west}")
    time.sleep(0.2)
check("ReplicateKey" not in west_names and "CreateKey" not in west_names, f"{west} shows the primary's calls: {west_names}")
print("multi-region ok")
