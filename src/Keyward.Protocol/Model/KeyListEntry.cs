namespace Keyward.Protocol.Model;

internal sealed class KeyListEntry
{
    public string? KeyId { get; set; }
    public string? KeyArn { get; set; }
}
