namespace Keyward.OpenSsl;

internal static class Failure
{
    /// <summary>A libcrypto call that does not fail for valid arguments failed: its error queue is emptied, its text not kept.</summary>
    public static InvalidOperationException Of(string operation)
    {
        LibCrypto.ClearErrors();
        return new InvalidOperationException($"libcrypto {operation} failed.");
    }
}
