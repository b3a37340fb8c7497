namespace Keyward.Protocol.Model;

/// <summary>A request or response that holds plaintext or key material; the host zeroes it after use.</summary>
public interface ISensitive
{
    void ZeroSecrets();
}
