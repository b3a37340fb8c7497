using System.Security.Cryptography;
using System.Text;
using Keyward.Core.KeyStores;
using Keyward.Core.Seal;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// The root key as a non-extractable AES-256 key inside an HSM: every barrier operation is
/// AES-GCM performed by the HSM (iv(12) ‖ ciphertext ‖ tag(16), as the file seal), so a copy of
/// the database without the HSM opens nothing. The key is generated in the HSM on a first start
/// (CKA_EXTRACTABLE false, CKA_SENSITIVE true, so CKA_NEVER_EXTRACTABLE holds) and found by
/// label afterwards.
/// </summary>
public sealed class Pkcs11Seal : ISeal
{
    public const string PinVariable = "KEYWARD_SEAL_PIN";

    private readonly Hsm _hsm;
    private readonly string _keyLabel;

    public string Description { get; }

    private Pkcs11Seal(Hsm hsm, Pkcs11SealOptions options)
    {
        _hsm = hsm;
        _keyLabel = options.KeyLabel;
        Description = $"PKCS#11 seal (token '{options.Token}', key '{options.KeyLabel}')";
    }

    /// <summary>Logs in and finds the root key; generates it only when <paramref name="create"/>. Failures are <see cref="SealException"/>s.</summary>
    public static Pkcs11Seal Open(Pkcs11SealOptions options, bool create) =>
        OpenOrNull(options, create, missingIsNull: false)!;

    /// <summary>The seal on the key <see cref="Pkcs11SealOptions.KeyLabel"/> names, or null when the token has no such key.</summary>
    public static Pkcs11Seal? OpenIfPresent(Pkcs11SealOptions options) => OpenOrNull(options, create: false, missingIsNull: true);

    private static Pkcs11Seal? OpenOrNull(Pkcs11SealOptions options, bool create, bool missingIsNull)
    {
        var pin = ReadPin(options);
        Hsm? hsm = null;
        try
        {
            hsm = new Hsm(Pkcs11Module.Load(options.Module, options.Environment), options.Token, pin, maxSessions: 16, wait: TimeSpan.FromSeconds(5));
            hsm.Open();
            var seal = new Pkcs11Seal(hsm, options);
            var found = hsm.Run(s => HsmCluster.FindSecretKey(s, options.KeyLabel));
            if (found is null)
            {
                if (missingIsNull)
                {
                    hsm.Dispose();
                    return null;
                }
                if (!create)
                    throw new SealException($"The root key '{options.KeyLabel}' is not on HSM token '{options.Token}', but the database already holds keys sealed under a root key.");
                hsm.Run(s => s.GenerateKey(CKM.AES_KEY_GEN,
                    Template.AesKey(AesKeyUse.EncryptDecrypt, token: true, extractable: false, generate: true).Text(CKA.LABEL, options.KeyLabel)));
            }
            return seal;
        }
        catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e))
        {
            hsm?.Dispose();
            throw new SealException($"The PKCS#11 seal cannot be opened: {e.Message}");
        }
        catch
        {
            hsm?.Dispose();
            throw;
        }
        finally { CryptographicOperations.ZeroMemory(pin); }
    }

    private static byte[] ReadPin(Pkcs11SealOptions options)
    {
        string? text = options.PinFile is { } file
            ? (File.Exists(file) ? File.ReadAllText(file) : throw new SealException($"The seal PIN file '{file}' does not exist."))
            : Environment.GetEnvironmentVariable(PinVariable);
        if (string.IsNullOrEmpty(text)) throw new SealException($"The PKCS#11 seal needs a PIN: set pinFile in the configuration or {PinVariable}.");
        return Encoding.UTF8.GetBytes(text.TrimEnd('\r', '\n'));
    }

    public byte[] Encrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        var iv = RandomNumberGenerator.GetBytes(Pkcs11Session.GcmIvSize);
        var pt = plaintext.ToArray();
        var ad = aad.ToArray();
        try
        {
            var sealedData = Call(() => _hsm.Run(s => s.EncryptGcm(RootKey(s), iv, ad, pt)));
            var output = new byte[iv.Length + sealedData.Length];
            iv.CopyTo(output, 0);
            sealedData.CopyTo(output, iv.Length);
            return output;
        }
        finally { CryptographicOperations.ZeroMemory(pt); }
    }

    public bool TryDecrypt(ReadOnlySpan<byte> sealedData, ReadOnlySpan<byte> aad, Span<byte> destination)
    {
        const int overhead = Pkcs11Session.GcmIvSize + Pkcs11Session.GcmTagSize;
        if (sealedData.Length < overhead || destination.Length != sealedData.Length - overhead) return false;
        var input = sealedData.ToArray();
        var ad = aad.ToArray();
        byte[] plaintext;
        try
        {
            plaintext = Call(() => _hsm.Run(s => s.DecryptGcm(RootKey(s), input.AsSpan(0, Pkcs11Session.GcmIvSize), ad, input.AsSpan(Pkcs11Session.GcmIvSize))));
        }
        catch (KeyStoreException e) when (e.Failure == KeyStoreFailure.InvalidCiphertext) { return false; }
        try
        {
            if (plaintext.Length != destination.Length) return false;
            plaintext.CopyTo(destination);
            return true;
        }
        finally { CryptographicOperations.ZeroMemory(plaintext); }
    }

    /// <summary>
    /// Gives the secret key labelled <paramref name="from"/> on this seal's token the label <paramref name="to"/> (root key
    /// rotation: the key itself, still non-extractable, never leaves the HSM). False when there is no such key.
    /// </summary>
    public bool Relabel(string from, string to) =>
        OnSecretKey(from, "relabel", (s, key) => s.SetBytes(key, CKA.LABEL, Pkcs11Session.Label(to)));

    /// <summary>Destroys the secret key labelled <paramref name="label"/> (a rotation's new key that never sealed anything).</summary>
    public void DestroyKey(string label) => OnSecretKey(label, "destroy", (s, key) => s.DestroyObject(key));

    /// <summary>Runs <paramref name="change"/> on the token's secret key labelled <paramref name="label"/>; false when there is none.</summary>
    private bool OnSecretKey(string label, string verb, Action<Pkcs11Session, nuint> change)
    {
        try
        {
            return _hsm.Run(s =>
            {
                if (HsmCluster.FindSecretKey(s, label) is not { } key) return false;
                change(s, key);
                return true;
            });
        }
        catch (Exception e) when (Pkcs11Errors.IsHsmFailure(e)) { throw new SealException($"Cannot {verb} the key '{label}': {e.Message}"); }
    }

    private nuint RootKey(Pkcs11Session session) =>
        _hsm.Handle(session, _keyLabel, s => HsmCluster.FindSecretKey(s, _keyLabel))
        ?? throw new KeyStoreException(KeyStoreFailure.Unavailable, $"The root key '{_keyLabel}' is gone from the HSM.");

    /// <summary>HSM failures reach callers as key-store failures (KMSInvalidStateException), never as a wrong root key.</summary>
    private T Call<T>(Func<T> body)
    {
        // The seal has no health timer: a failed HSM is tried again by the next request.
        if (!_hsm.Healthy) _hsm.TryRecover();
        try { return body(); }
        catch (Pkcs11Exception e) { throw e.ToKeyStoreException(); }
    }

    public void Dispose() => _hsm.Dispose();
}
