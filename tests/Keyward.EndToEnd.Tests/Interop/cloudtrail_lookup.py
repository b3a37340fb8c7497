"""boto3's CloudTrail client against a running Keyward: LookupEvents over the audit log.

Usage: python3 cloudtrail_lookup.py <endpoint-url> <key-arn> <other-key-arn>
The test made these calls first: as the account's root CreateKey (key), three Encrypt with it and a DescribeKey of
the other key; as the user app (no identity policy) one Encrypt with the key, refused. Credentials of root, auditor,
app and another account's root come from KEYWARD_* variables. Exits non-zero with the reason on the first mismatch.
"""
import datetime
import json
import os
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, key_arn, other_key_arn = sys.argv[1:4]


def client(who):
    akid, secret = os.environ[f"KEYWARD_{who}"].split(":", 1)
    return boto3.client("cloudtrail", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=akid, aws_secret_access_key=secret)


root, auditor, app, other = client("ROOT"), client("AUDITOR"), client("APP"), client("OTHER")


def lookup(c, page_size=50, **kw):
    events = []
    for page in c.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": page_size}, **kw):
        events += page["Events"]
    return events


def attr(key, value):
    return [{"AttributeKey": key, "AttributeValue": value}]


def error_of(call):
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError("expected an error")


by_key = lookup(root, LookupAttributes=attr("ResourceName", key_arn))
names = [e["EventName"] for e in by_key]
assert sorted(names) == ["CreateKey", "Encrypt", "Encrypt", "Encrypt", "Encrypt"], names
times = [e["EventTime"] for e in by_key]
assert times == sorted(times, reverse=True), "newest first"
assert names[-1] == "CreateKey", names
for e in by_key:
    assert any(r["ResourceName"] == key_arn and r["ResourceType"] == "AWS::KMS::Key" for r in e["Resources"]), e
    trail = json.loads(e["CloudTrailEvent"])
    assert trail["eventID"] == e["EventId"] and trail["eventName"] == e["EventName"], e
    assert trail["eventSource"] == "kms.amazonaws.com" == e["EventSource"], e
    assert e["ReadOnly"] == ("false" if e["EventName"] == "CreateKey" else "true"), e
ids = [e["EventId"] for e in by_key]
assert [e["EventId"] for e in lookup(root, page_size=1, LookupAttributes=attr("ResourceName", key_arn))] == ids, "pages of one"
assert [e["EventId"] for e in lookup(root, page_size=2, LookupAttributes=attr("ResourceName", key_arn))] == ids, "pages of two"
# A key id names the key as well as its ARN does.
assert [e["EventId"] for e in lookup(root, LookupAttributes=attr("ResourceName", key_arn.split("/")[-1]))] == ids

first = root.lookup_events(LookupAttributes=attr("ResourceName", key_arn), MaxResults=2)
assert len(first["Events"]) == 2 and "NextToken" in first, first
rest = root.lookup_events(LookupAttributes=attr("ResourceName", key_arn), MaxResults=50, NextToken=first["NextToken"])
assert [e["EventId"] for e in first["Events"] + rest["Events"]] == ids and "NextToken" not in rest, rest
assert error_of(lambda: root.lookup_events(LookupAttributes=attr("EventName", "Encrypt"), NextToken=first["NextToken"])) \
    == "InvalidNextTokenException"
assert error_of(lambda: root.lookup_events(NextToken="bm90IGEgdG9rZW4=")) == "InvalidNextTokenException"

described = lookup(root, LookupAttributes=attr("EventName", "DescribeKey"))
assert described and all(e["EventName"] == "DescribeKey" for e in described), described
assert any(r["ResourceName"] == other_key_arn for e in described for r in e["Resources"]), described

by_app = lookup(root, LookupAttributes=attr("Username", "app"))
assert [e["EventName"] for e in by_app] == ["Encrypt"], by_app
assert json.loads(by_app[0]["CloudTrailEvent"])["errorCode"] == "AccessDeniedException", by_app
assert by_app[0]["AccessKeyId"] == "AKIAAPPUSER000000001", by_app
assert [e["EventId"] for e in lookup(root, LookupAttributes=attr("AccessKeyId", "AKIAAPPUSER000000001"))] == [by_app[0]["EventId"]]
assert all(e["Username"] == "root" for e in lookup(root, LookupAttributes=attr("Username", "root"))), "root's events"

writes = lookup(root, LookupAttributes=attr("ReadOnly", "false"))
assert "CreateKey" in [e["EventName"] for e in writes] and all(e["ReadOnly"] == "false" for e in writes), writes
reads = lookup(root, LookupAttributes=attr("ReadOnly", "true"))
assert "Encrypt" in [e["EventName"] for e in reads] and "CreateKey" not in [e["EventName"] for e in reads], reads

one = lookup(root, LookupAttributes=attr("EventId", ids[2]))
assert [e["EventId"] for e in one] == [ids[2]], one
assert lookup(root, LookupAttributes=attr("EventSource", "s3.amazonaws.com")) == []
assert len(lookup(root, LookupAttributes=attr("ResourceType", "AWS::KMS::Key"))) >= len(ids)

# Time ranges, in the events' own seconds: before the first, after the last, and around them all.
oldest, newest = min(times), max(times)
second = datetime.timedelta(seconds=1)
assert lookup(root, LookupAttributes=attr("ResourceName", key_arn), EndTime=oldest - second) == []
assert lookup(root, LookupAttributes=attr("ResourceName", key_arn), StartTime=newest + second) == []
around = lookup(root, LookupAttributes=attr("ResourceName", key_arn), StartTime=oldest, EndTime=newest + second)
assert [e["EventId"] for e in around] == ids, around
assert error_of(lambda: root.lookup_events(StartTime=newest, EndTime=oldest - second)) == "InvalidTimeRangeException"

assert error_of(lambda: root.lookup_events(LookupAttributes=attr("EventName", "Encrypt") + attr("Username", "app"))) \
    == "InvalidLookupAttributesException"
assert error_of(lambda: root.lookup_events(LookupAttributes=attr("ReadOnly", "maybe"))) == "InvalidLookupAttributesException"
assert error_of(lambda: root.lookup_events(MaxResults=51)) == "InvalidMaxResultsException"
assert root.lookup_events(EventCategory="insight")["Events"] == []

# Authorization: cloudtrail:LookupEvents in an identity policy; another account sees none of these events.
assert [e["EventId"] for e in lookup(auditor, LookupAttributes=attr("ResourceName", key_arn))] == ids
assert error_of(lambda: app.lookup_events()) == "AccessDeniedException"
assert lookup(other, LookupAttributes=attr("ResourceName", key_arn)) == []

print("cloudtrail lookup ok")
