namespace Keyward.Protocol.Model;

/// <summary>A request that carries grant tokens (authorization reads them).</summary>
public interface IGrantTokens
{
    List<string>? GrantTokens { get; }
}

/// <summary>A request whose encryption context policy conditions (kms:EncryptionContext:…) and grant constraints see.</summary>
public interface IEncryptionContext
{
    Dictionary<string, string>? EncryptionContext { get; }
}
