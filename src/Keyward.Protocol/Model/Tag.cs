namespace Keyward.Protocol.Model;

internal sealed class Tag
{
    public string? TagKey { get; set; }
    public string? TagValue { get; set; }
}
