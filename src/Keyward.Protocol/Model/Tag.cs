namespace Keyward.Protocol.Model;

public sealed class Tag
{
    public string? TagKey { get; set; }
    public string? TagValue { get; set; }
}
