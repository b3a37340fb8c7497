namespace Keyward.Protocol.Model;

public sealed class KeyListEntry
{
    public string? KeyId { get; set; }
    public string? KeyArn { get; set; }
}
