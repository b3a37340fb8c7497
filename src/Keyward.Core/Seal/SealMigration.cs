using System.Security.Cryptography;
using Keyward.Core.Import;
using Keyward.Core.KeyStores;
using Keyward.Core.Keys;
using Keyward.Core.Storage;

namespace Keyward.Core.Seal;

/// <summary>
/// Moves a deployment from one seal to another (file seal → PKCS#11 seal): every value the
/// barrier sealed is opened under the old root key and sealed again under the new one, with the
/// same purpose and row identity, and all are written in one transaction. A value that does not
/// open stops the migration before anything is written. Run with the server stopped.
/// </summary>
public static class SealMigration
{
    /// <summary>Returns how many values were re-sealed.</summary>
    public static async Task<int> RunAsync(IKmsStorage storage, RootKeyBarrier from, RootKeyBarrier to, CancellationToken ct = default)
    {
        var resealed = new List<SealedValue>();
        await OpenEachAsync(storage, from, "the current seal", "; nothing was changed",
            (value, purpose, identity, clear) => resealed.Add(value with { Value = to.Wrap(clear, purpose, identity) }), ct);
        await storage.ReplaceSealedValuesAsync(resealed, ct);
        return resealed.Count;
    }

    /// <summary>
    /// Checks that every value the barrier sealed opens under <paramref name="barrier"/> (a restored backup, before it
    /// is called restored); returns how many, or throws <see cref="SealException"/> naming the first that does not.
    /// </summary>
    public static Task<int> VerifyAsync(IKmsStorage storage, RootKeyBarrier barrier, CancellationToken ct = default) =>
        OpenEachAsync(storage, barrier, "the seal", "", (_, _, _, _) => { }, ct);

    private delegate void OpenedValue(SealedValue value, string purpose, string identity, ReadOnlySpan<byte> clear);

    /// <summary>Opens every sealed value under <paramref name="barrier"/> in turn (zeroed after <paramref name="opened"/>); throws at the first that does not open.</summary>
    private static async Task<int> OpenEachAsync(IKmsStorage storage, RootKeyBarrier barrier, string seal, string consequence, OpenedValue opened,
        CancellationToken ct)
    {
        var values = await storage.ListSealedValuesAsync(ct);
        if (values.FirstOrDefault(v => v.Kind == SealedKind.SealCheck) is not { } check || !barrier.Verify(check.Value))
            throw new SealException($"{char.ToUpperInvariant(seal[0])}{seal[1..]} does not hold this database's root key{consequence}.");
        foreach (var value in values)
        {
            var (purpose, identity) = Binding(value);
            var clear = new byte[RootKeyBarrier.UnwrappedSize(value.Value)];
            try
            {
                if (!barrier.TryUnwrap(value.Value, purpose, identity, clear))
                    throw new SealException($"A sealed value ({value.Kind} {value.Id1}) does not open under {seal}{consequence}.");
                opened(value, purpose, identity, clear);
            }
            finally { CryptographicOperations.ZeroMemory(clear); }
        }
        return values.Count;
    }

    private static (string Purpose, string Identity) Binding(SealedValue v) => v.Kind switch
    {
        SealedKind.KeyMaterial => (SoftwareKeyStore.MaterialPurpose, SoftwareKeyStore.Identity(v.Id1, v.Id2)),
        SealedKind.ImportWrappingKey => (ImportWrappingKeys.Purpose, ImportWrappingKeys.Identity(v.Id1, v.Id2)),
        SealedKind.CustomKeyStorePassword => (CustomKeyStores.PasswordPurpose, v.Id1),
        SealedKind.XksProxySecret => (CustomKeyStores.XksSecretPurpose, v.Id1),
        _ => (RootKeyBarrier.CheckPurpose, RootKeyBarrier.CheckIdentity),
    };
}
