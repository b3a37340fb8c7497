namespace Keyward.Protocol.Model;

/// <summary>Output of operations that return nothing; serialized as <c>{}</c>.</summary>
public sealed class EmptyResponse
{
    public static readonly EmptyResponse Instance = new();
}
