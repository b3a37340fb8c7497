using System.Security.Cryptography;
using System.Text;
using Keyward.Core.Crypto;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// The key store of a connected HSM cluster. A material version is an AES-256 key generated
/// inside an HSM and kept on every HSM as a token object labelled
/// <c>keyward:&lt;key id&gt;:&lt;material id&gt;</c>, sensitive and non-extractable, usable
/// only for encrypt/decrypt. <see cref="MaterialRecord.Wrapped"/> holds it wrapped under the
/// cluster key (RFC 3394): useless outside the HSMs, it lets an HSM that was down when the key
/// was created, or that lost the object, be brought back in step by unwrapping it there.
/// Payload: iv(12) ‖ ciphertext ‖ tag(16), AES-GCM in the HSM with the blob header and
/// encryption context as AAD. Only symmetric encryption keys; everything else is Unsupported.
/// </summary>
public sealed class HsmKeyStore(HsmCluster cluster) : IHsmKeyStore
{
    private const int IvSize = Pkcs11Session.GcmIvSize;
    private const int TagSize = Pkcs11Session.GcmTagSize;

    public HsmCluster Cluster => cluster;
    public bool Available => cluster.AnyHealthy;

    public MaterialRecord CreateMaterial(string keyId, KeySpecInfo spec, DateTimeOffset now) =>
        HsmCluster.Completed(CreateMaterial(keyId, spec, now, onPool: false));

    /// <summary>CreateKey's call: it waits for the HSMs as Encrypt does (<see cref="HsmCluster.RunAsync{T}"/>).
    /// </summary>
    public ValueTask<MaterialRecord> CreateMaterialAsync(string keyId, KeySpecInfo spec, DateTimeOffset now) =>
        CreateMaterial(keyId, spec, now, onPool: true);

    private async ValueTask<MaterialRecord> CreateMaterial(string keyId, KeySpecInfo spec, DateTimeOffset now,
        bool onPool)
    {
        if (spec.Family != KeyFamily.Symmetric) throw Unsupported();
        var materialId = MaterialIds.New();
        var label = Label(keyId, materialId);
        Func<Hsm, Pkcs11Session, byte[]> generate = (hsm, session) =>
        {
            // Generated in the HSM as a session object, wrapped under the cluster key, then
            // destroyed: only its non-extractable copies below remain.
            var transient = session.GenerateKey(CKM.AES_KEY_GEN,
                Template.AesKey(AesKeyUse.None, token: false, extractable: true, generate: true));
            try { return session.WrapAes(HsmCluster.ClusterKey(hsm, session), transient); }
            finally { session.DestroyObject(transient); }
        };
        var wrapped = await OnCluster(generate, onPool);
        Action<Hsm, Pkcs11Session> place = (hsm, session) => Place(hsm, session, keyId, label, wrapped);
        var placed = onPool ? await cluster.RunOnEachAsync(place) : cluster.RunOnEach(place);
        if (placed == 0)
            throw new KeyStoreException(KeyStoreFailure.Unavailable,
                $"No HSM of cluster {cluster.Options.Id} took the new key.");
        return new MaterialRecord(keyId, materialId, wrapped, now);
    }

    public MaterialRecord ImportMaterial(string keyId, KeySpecInfo spec, ReadOnlySpan<byte> material, DateTimeOffset now) => throw Unsupported();

    public async ValueTask<byte[]> EncryptAsync(MaterialRecord material, ReadOnlyMemory<byte> plaintext,
        ReadOnlyMemory<byte> aad, CancellationToken cancellationToken)
    {
        var iv = RandomNumberGenerator.GetBytes(IvSize);
        var sealedData = await WithKeyAsync(material,
            (session, key) => session.EncryptGcm(key, iv, aad.Span, plaintext.Span));
        var output = new byte[IvSize + sealedData.Length];
        iv.CopyTo(output, 0);
        sealedData.CopyTo(output, IvSize);
        return output;
    }

    public ValueTask<byte[]> DecryptAsync(MaterialRecord material, ReadOnlyMemory<byte> payload, ReadOnlyMemory<byte> aad, CancellationToken cancellationToken)
    {
        if (payload.Length < IvSize + TagSize) throw new KeyStoreException(KeyStoreFailure.InvalidCiphertext, "Ciphertext too short.");
        return WithKeyAsync(material,
            (session, key) => session.DecryptGcm(key, payload.Span[..IvSize], aad.Span, payload.Span[IvSize..]));
    }

    public ValueTask<byte[]> SignAsync(MaterialRecord material, KeySpecInfo spec, SigningAlgorithm algorithm, SigningInput input, CancellationToken cancellationToken) => throw Unsupported();
    public ValueTask<byte[]> DecapsulateAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken) => throw Unsupported();
    public ValueTask<byte[]> DecryptRsaAsync(MaterialRecord material, KeySpecInfo spec, string algorithm, ReadOnlyMemory<byte> ciphertext, CancellationToken cancellationToken) => throw Unsupported();
    public ValueTask<byte[]> GenerateMacAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> message, CancellationToken cancellationToken) => throw Unsupported();
    public ValueTask<byte[]> DeriveSharedSecretAsync(MaterialRecord material, KeySpecInfo spec, ReadOnlyMemory<byte> peerPublicKey, CancellationToken cancellationToken) => throw Unsupported();

    /// <summary>A request's call, so it waits for the HSM as Encrypt does (<see cref="HsmCluster.RunAsync{T}"/>).
    /// </summary>
    public async ValueTask<byte[]> GenerateRandomAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await OnCluster((_, session) => { session.GenerateRandom(buffer); return 0; }, onPool: true);
        return buffer;
    }

    /// <summary>The key was deleted: destroys its objects on every HSM that answers (the rest keep orphans; see docs/operations.md).</summary>
    public void Forget(string keyId)
    {
        var id = Encoding.ASCII.GetBytes(keyId);
        cluster.RunOnEach((hsm, session) =>
        {
            foreach (var obj in session.Find(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).Bytes(CKA.ID, id), 64))
            {
                var label = session.GetBytes(obj, CKA.LABEL);
                session.DestroyObject(obj);
                if (label is not null) hsm.ForgetHandle(Encoding.UTF8.GetString(label));
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="use"/> with the material's object handle on one HSM of the cluster,
    /// placing the object there first if that HSM lacks it. A stale handle is looked up again once.
    /// The requests' data path: the call waits for its session, and runs, off the thread pool when the HSM is slow.
    /// </summary>
    private ValueTask<T> WithKeyAsync<T>(MaterialRecord material, Func<Pkcs11Session, nuint, T> use)
    {
        var label = Label(material.KeyId, material.MaterialId);
        return OnCluster((hsm, session) =>
        {
            // Found on the HSM, or placed there from the row's wrapped key (NotFound only if the row has none).
            nuint Locate(Pkcs11Session s) => HsmCluster.FindSecretKey(s, label)
                ?? Place(hsm, s, material.KeyId, label, material.Wrapped)
                ?? throw new KeyStoreException(KeyStoreFailure.NotFound,
                    $"Key material {material.MaterialId} is not in HSM '{hsm.TokenLabel}'.");
            var handle = hsm.Handle(session, label, s => Locate(s)).GetValueOrDefault();
            try { return use(session, handle); }
            catch (Pkcs11Exception e) when (e.Kind == Pkcs11ErrorKind.Object)
            {
                hsm.ForgetHandle(label);
                return use(session, Locate(session));
            }
        }, onPool: true);
    }

    /// <summary>Unwraps the material into <paramref name="hsm"/> as a non-extractable token object.</summary>
    private static nuint? Place(Hsm hsm, Pkcs11Session session, string keyId, string label, byte[]? wrapped)
    {
        if (wrapped is null) return null;
        return session.UnwrapAes(HsmCluster.ClusterKey(hsm, session), wrapped,
            Template.AesKey(AesKeyUse.EncryptDecrypt, token: true, extractable: false, generate: false)
                .Text(CKA.LABEL, label).Bytes(CKA.ID, Encoding.ASCII.GetBytes(keyId)));
    }

    /// <summary>
    /// <paramref name="operation"/> on one HSM of the cluster: through <see cref="HsmCluster.RunAsync{T}"/> for a
    /// request (<paramref name="onPool"/>), else <see cref="HsmCluster.Run{T}"/> on this thread. PKCS#11 failures
    /// leave the key store as typed <see cref="KeyStoreException"/>s.
    /// </summary>
    private async ValueTask<T> OnCluster<T>(Func<Hsm, Pkcs11Session, T> operation, bool onPool)
    {
        try { return onPool ? await cluster.RunAsync(operation) : cluster.Run(operation); }
        catch (Exception e) when (Typed(e) is { } typed) { throw typed; }
    }

    private static KeyStoreException? Typed(Exception e) => e switch
    {
        Pkcs11Exception p => p.ToKeyStoreException(),
        Pkcs11ConfigurationException c => new KeyStoreException(KeyStoreFailure.Unavailable, c.Message, c),
        _ => null,
    };

    public static string Label(string keyId, string materialId) => $"keyward:{keyId}:{materialId}";

    private static KeyStoreException Unsupported() =>
        new(KeyStoreFailure.Unsupported, "An HSM key store holds only symmetric encryption keys generated in the HSM.");

    public void Dispose() => cluster.Dispose();
}
