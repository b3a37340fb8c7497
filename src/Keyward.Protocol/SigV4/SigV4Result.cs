namespace Keyward.Protocol.SigV4;

/// <summary>Outcome of verifying one request. <see cref="Message"/> is safe to return to the client.</summary>
public readonly record struct SigV4Result(SigV4Failure Failure, string Message, string? AccessKeyId)
{
    public bool Succeeded => Failure == SigV4Failure.None;

    public static SigV4Result Ok(string accessKeyId) => new(SigV4Failure.None, string.Empty, accessKeyId);

    public static SigV4Result Fail(SigV4Failure failure, string message) => new(failure, message, null);
}
