namespace Keyward.Protocol.Model;

public sealed class AliasListEntry
{
    public string? AliasName { get; set; }
    public string? AliasArn { get; set; }
    public string? TargetKeyId { get; set; }
    public DateTimeOffset? CreationDate { get; set; }
    public DateTimeOffset? LastUpdatedDate { get; set; }
}
