using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Keyward.Core.KeyStores;
using Keyward.Pkcs11;
using Keyward.Pkcs11.Interop;
using Keyward.Protocol.Xks;

namespace Keyward.XksProxy;

/// <summary>
/// The external keys behind the proxy: AES-256 secret keys on the HSMs of one PKCS#11 cluster, each named by its
/// CKA_LABEL (the external key id). Usage is the key's CKA_ENCRYPT / CKA_DECRYPT; status is its validity period
/// (CKA_START_DATE / CKA_END_DATE): a key whose end date has passed, or whose start date has not come, is DISABLED.
/// Encryption is AES-GCM in the HSM with a 96-bit IV from the HSM's generator, over <see cref="XksCrypto.HsmAad"/>.
/// Failures carry the specification's error names and never plaintext, key material or a PIN.
/// </summary>
public sealed class ExternalKeyStore(HsmCluster cluster, TimeProvider time)
{
    public const int IvSize = Pkcs11Session.GcmIvSize;
    public const int TagSize = Pkcs11Session.GcmTagSize;

    /// <summary>
    /// How long a key's usage and status are believed before the HSM is asked again. Reading four attributes costs
    /// SoftHSM about 90 µs, four times the encryption itself; a key disabled in the HSM is refused within this time
    /// (and a key whose usage is removed is refused by the HSM itself at once: CKR_KEY_FUNCTION_NOT_PERMITTED).
    /// </summary>
    public static readonly TimeSpan AttributeMaxAge = TimeSpan.FromSeconds(1);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Until, bool Encrypt, bool Decrypt, bool Enabled)> _attributes = new(StringComparer.Ordinal);

    public HsmCluster Cluster => cluster;

    /// <summary>GetKeyMetadata reads the HSM every time (KMS calls it when a key is created and to check one).</summary>
    public ValueTask<XksKeyMetadataResponse> MetadataAsync(string keyId) => RunAsync(keyId, (session, key) =>
    {
        var a = Attributes(session, keyId, key, fresh: true);
        var usage = new List<string>(2);
        if (a.Encrypt) usage.Add("ENCRYPT");
        if (a.Decrypt) usage.Add("DECRYPT");
        return new XksKeyMetadataResponse("AES_256", usage, a.Enabled ? "ENABLED" : "DISABLED");
    });

    /// <summary>Encrypts in the HSM; returns IV, ciphertext (the plaintext's length) and tag.</summary>
    /// <remarks>The caller owns (and zeroes) <paramref name="plaintext"/>; it is passed to the HSM as it is.</remarks>
    public ValueTask<(byte[] Iv, byte[] Ciphertext, byte[] Tag)> EncryptAsync(string keyId, byte[] plaintext,
        byte[] hsmAad) => RunAsync(keyId, (session, key) =>
    {
        Usable(session, keyId, key, encrypt: true);
        var iv = new byte[IvSize];
        session.GenerateRandom(iv);
        byte[] sealedData;
        try { sealedData = session.EncryptGcm(key, iv, hsmAad, plaintext); }
        catch (Pkcs11Exception e) when (e.ReturnValue == CKR.KEY_FUNCTION_NOT_PERMITTED) { throw NotPermitted(keyId, "encrypt"); }
        return (iv, sealedData[..^TagSize], sealedData[^TagSize..]);
    });

    /// <summary>Decrypts in the HSM; a ciphertext, IV, AAD or tag that does not authenticate is InvalidCiphertextException.</summary>
    public async ValueTask<byte[]> DecryptAsync(string keyId, byte[] iv, byte[] ciphertext, byte[] tag, byte[] hsmAad)
    {
        var sealedData = new byte[ciphertext.Length + tag.Length];
        ciphertext.CopyTo(sealedData, 0);
        tag.CopyTo(sealedData, ciphertext.Length);
        // The session pool decides whether a failed C_Decrypt was about the input (SoftHSM says CKR_GENERAL_ERROR for
        // a tag mismatch; a probe tells it from a device failure) and passes a data error on from outside this call.
        try
        {
            return await RunAsync(keyId, (session, key) =>
            {
                Usable(session, keyId, key, encrypt: false);
                try { return session.DecryptGcm(key, iv, hsmAad, sealedData); }
                catch (Pkcs11Exception e) when (e.ReturnValue == CKR.KEY_FUNCTION_NOT_PERMITTED) { throw NotPermitted(keyId, "decrypt"); }
            });
        }
        catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.Data) { throw InvalidCiphertext(); }
        catch (KeyStoreException e) when (e.Failure == KeyStoreFailure.InvalidCiphertext) { throw InvalidCiphertext(); }
    }

    private static XksException InvalidCiphertext() => new(XksErrorName.InvalidCiphertextException, "The ciphertext, IV, AAD or authentication tag is invalid.");

    private void Usable(Pkcs11Session session, string keyId, nuint key, bool encrypt)
    {
        var a = Attributes(session, keyId, key, fresh: false);
        if (!a.Enabled) throw new XksException(XksErrorName.InvalidStateException, "The external key is disabled.");
        if (!(encrypt ? a.Encrypt : a.Decrypt)) throw new XksException(XksErrorName.InvalidKeyUsageException, $"The external key cannot {(encrypt ? "encrypt" : "decrypt")}.");
    }

    private XksException NotPermitted(string keyId, string what)
    {
        _attributes.TryRemove(keyId, out _);
        return new XksException(XksErrorName.InvalidKeyUsageException, $"The external key cannot {what}.");
    }

    private (bool Encrypt, bool Decrypt, bool Enabled) Attributes(Pkcs11Session session, string keyId, nuint key, bool fresh)
    {
        var now = Environment.TickCount64;
        if (!fresh && _attributes.TryGetValue(keyId, out var cached) && cached.Until > now) return (cached.Encrypt, cached.Decrypt, cached.Enabled);
        var read = (Encrypt: session.GetBool(key, CKA.ENCRYPT) == true, Decrypt: session.GetBool(key, CKA.DECRYPT) == true, Enabled: Enabled(session, key));
        _attributes[keyId] = (now + (long)AttributeMaxAge.TotalMilliseconds, read.Encrypt, read.Decrypt, read.Enabled);
        return read;
    }

    private bool Enabled(Pkcs11Session session, nuint key)
    {
        var today = time.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        // Fail closed: a date the HSM cannot read (other than one its keys do not have) disables the key.
        if (!TryDate(session, key, CKA.START_DATE, out var start) || !TryDate(session, key, CKA.END_DATE, out var end)) return false;
        return (start is null || string.CompareOrdinal(start, today) <= 0) && (end is null || string.CompareOrdinal(today, end) <= 0);
    }

    private static bool TryDate(Pkcs11Session session, nuint key, nuint type, out string? date)
    {
        var rv = session.TryGetBytes(key, type, out var value);
        date = rv == CKR.OK ? Date(value) : null;
        return rv == CKR.OK || rv == CKR.ATTRIBUTE_TYPE_INVALID;
    }

    /// <summary>A CK_DATE (YYYYMMDD in ASCII); null when absent or empty, as PKCS#11 leaves unset dates.</summary>
    private static string? Date(byte[]? value) =>
        value is { Length: 8 } && value.All(b => b is >= (byte)'0' and <= (byte)'9') ? Encoding.ASCII.GetString(value) : null;

    /// <summary>
    /// The operation on one HSM of the cluster with the key's handle, through <see cref="HsmCluster.RunAsync{T}"/>:
    /// a request waits for its HSM without holding one of the pool's workers, and runs on the HSM's own threads
    /// while the HSM is slow.
    /// </summary>
    private async ValueTask<T> RunAsync<T>(string keyId, Func<Pkcs11Session, nuint, T> operation)
    {
        try
        {
            return await cluster.RunAsync((hsm, session) =>
            {
                var label = "xks:" + keyId;
                for (var attempt = 0; ; attempt++)
                {
                    var key = hsm.Handle(session, label, s => Find(s, keyId))
                              ?? throw new XksException(XksErrorName.KeyNotFoundException, "The external key was not found.");
                    try { return operation(session, key); }
                    catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.Object && attempt == 0)
                    {
                        hsm.ForgetHandle(label); // the object was replaced or removed since its handle was cached
                    }
                }
            });
        }
        catch (KeyStoreException e) when (e.Failure == KeyStoreFailure.Unavailable)
        {
            throw new XksException(XksErrorName.InternalException, "No HSM is available.");
        }
        catch (KeyStoreException e) when (e.Failure == KeyStoreFailure.Timeout)
        {
            throw new XksException(XksErrorName.DependencyTimeoutException, "The HSM did not answer in time.");
        }
    }

    /// <summary>An AES-256 secret key labelled <paramref name="keyId"/>; a label on anything else is not an external key.</summary>
    private static nuint? Find(Pkcs11Session session, string keyId)
    {
        var found = session.Find(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES).Text(CKA.LABEL, keyId), 2);
        if (found.Length == 0) return null;
        // CKA_VALUE_LEN is a CK_ULONG (native width); a module that hides it is taken at its word for AES.
        var length = session.GetBytes(found[0], CKA.VALUE_LEN);
        return length is not { Length: 8 } || BitConverter.ToUInt64(length) == 32 ? found[0] : null;
    }
}
