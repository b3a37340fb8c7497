namespace Keyward.Protocol.Model;

/// <summary>A request that carries grant tokens (authorization reads them).</summary>
internal interface IGrantTokens
{
    List<string>? GrantTokens { get; }
}

/// <summary>A request whose encryption context policy conditions (kms:EncryptionContext:…) and grant constraints see.</summary>
internal interface IEncryptionContext
{
    Dictionary<string, string>? EncryptionContext { get; }
}
