using System.Collections.Frozen;

namespace Keyward.Core.Identity;

/// <summary>The credentials the server accepts, by access key id.</summary>
public sealed class CredentialStore(IEnumerable<Credential> credentials)
{
    private readonly FrozenDictionary<string, Credential> _byAccessKey =
        credentials.ToFrozenDictionary(c => c.AccessKeyId, StringComparer.Ordinal);

    public Credential? Find(string accessKeyId) => _byAccessKey.GetValueOrDefault(accessKeyId);

    public string? SecretOf(string accessKeyId) => Find(accessKeyId)?.SecretAccessKey;
}
