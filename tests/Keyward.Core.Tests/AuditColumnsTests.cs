using Keyward.Core.Audit;

namespace Keyward.Core.Tests;

/// <summary>Each stored form of an event: its index columns must say what its hashed JSON says.</summary>
public class AuditColumnsTests
{
    private const string Root = "arn:aws:kms:x:111122223333:root";
    private const string Key = "arn:aws:kms:eu-west-1:111122223333:key/k1";
    private static readonly DateTimeOffset Time = DateTimeOffset.FromUnixTimeMilliseconds(1_764_600_000_123);

    private static AuditRecord Record(string json, DateTimeOffset? time = null, string name = "Encrypt", string arn = Root, string? keys = Key) =>
        new(1, time ?? Time, name, arn, keys, json, AuditChain.Genesis, AuditChain.Genesis);

    private const string Compact = $$"""{"v":2,"time":"2025-12-01T14:40:00.123Z","name":"Encrypt","arn":"{{Root}}","keys":["{{Key}}"]}""";
    private const string CompactSeconds = $$"""{"v":2,"time":"2025-12-01T14:40:00Z","name":"Encrypt","arn":"{{Root}}","keys":["{{Key}}"]}""";
    private const string CloudTrail = $$"""
        {"eventTime":"2025-12-01T14:40:00Z","eventName":"Encrypt","userIdentity":{"arn":"{{Root}}"},"resources":[{"ARN":"{{Key}}"}]}
        """;

    [Theory]
    [InlineData(Compact)]
    [InlineData(CompactSeconds)]
    [InlineData(CloudTrail)]
    public void Columns_that_repeat_the_json_agree(string json) => Assert.Null(AuditColumns.Mismatch(Record(json)));

    [Theory]
    [InlineData(Compact)]
    [InlineData(CloudTrail)]
    public void Each_column_changed_is_named(string json)
    {
        Assert.Equal("event_time", AuditColumns.Mismatch(Record(json, time: Time.AddSeconds(1))));
        Assert.Equal("event_name", AuditColumns.Mismatch(Record(json, name: "Decrypt")));
        Assert.Equal("principal_arn", AuditColumns.Mismatch(Record(json, arn: Root.Replace("root", "rooT"))));
        Assert.Equal("key_arns", AuditColumns.Mismatch(Record(json, keys: null)));
        Assert.Equal("key_arns", AuditColumns.Mismatch(Record(json, keys: Key + " " + Key + "2")));
    }

    [Fact]
    public void A_millisecond_record_is_checked_to_the_millisecond()
    {
        Assert.Equal("event_time", AuditColumns.Mismatch(Record(Compact, time: Time.AddMilliseconds(1))));
        Assert.Null(AuditColumns.Mismatch(Record(CompactSeconds, time: Time.AddMilliseconds(1))));
    }

    [Fact]
    public void Json_that_is_not_an_event_object_is_named() =>
        Assert.Equal("json", AuditColumns.Mismatch(Record("[1,2")));

    [Fact]
    public void An_event_without_keys_has_no_key_column()
    {
        var json = $$"""{"v":2,"time":"2025-12-01T14:40:00.123Z","name":"ListKeys","arn":"{{Root}}","keys":[]}""";
        Assert.Null(AuditColumns.Mismatch(Record(json, name: "ListKeys", keys: null)));
        Assert.Equal("key_arns", AuditColumns.Mismatch(Record(json, name: "ListKeys")));
    }
}
