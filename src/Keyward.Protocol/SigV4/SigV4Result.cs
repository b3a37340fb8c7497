namespace Keyward.Protocol.SigV4;

/// <summary>Outcome of verifying one request. <see cref="Message"/> is safe to return to the client.</summary>
public readonly record struct SigV4Result(SigV4Failure Failure, string Message, string? AccessKeyId, string? Region = null)
{
    public bool Succeeded => Failure == SigV4Failure.None;

    /// <summary>A verified request: who signed it, and for which Region (its credential scope's).</summary>
    public static SigV4Result Ok(string accessKeyId, string region) => new(SigV4Failure.None, string.Empty, accessKeyId, region);

    public static SigV4Result Fail(SigV4Failure failure, string message) => new(failure, message, null);
}
