using System.Collections.Concurrent;
using System.Collections.Frozen;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Quotas;

namespace Keyward.Core.Service;

/// <summary>
/// Request quotas per account, in requests per second, as AWS KMS applies them: the cryptographic operations share a
/// quota per kind of key (symmetric and HMAC, RSA, ECC), charged to the account that owns the key; every other
/// operation has its own quota, charged to the caller's account. A value of 0 turns that quota off.
/// docs/operations.md lists the defaults.
/// </summary>
public sealed record RequestQuotaOptions
{
    /// <summary>Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext), GenerateMac, VerifyMac, GenerateRandom.</summary>
    public int Symmetric { get; init; } = 10_000;

    /// <summary>Encrypt, Decrypt, ReEncrypt, Sign and Verify with RSA keys; Sign, Verify, Encapsulate and Decapsulate with ML-DSA and ML-KEM keys.</summary>
    public int Rsa { get; init; } = 1_000;

    /// <summary>Sign, Verify and DeriveSharedSecret with ECC keys, Ed25519 included.</summary>
    public int Ecc { get; init; } = 1_000;

    /// <summary>Per-operation quotas of the other operations; an operation that is not named has none.</summary>
    public IReadOnlyDictionary<KmsOperation, int> Operations { get; init; } = DefaultOperations;

    /// <summary>Every quota off.</summary>
    public static readonly RequestQuotaOptions Off = new() { Symmetric = 0, Rsa = 0, Ecc = 0, Operations = new Dictionary<KmsOperation, int>() };

    public static readonly IReadOnlyDictionary<KmsOperation, int> DefaultOperations = new Dictionary<KmsOperation, int>
    {
        [KmsOperation.DescribeKey] = 2_000, [KmsOperation.GetPublicKey] = 2_000,
        [KmsOperation.GetKeyPolicy] = 1_000, [KmsOperation.GetKeyRotationStatus] = 1_000, [KmsOperation.GetKeyLastUsage] = 1_000,
        [KmsOperation.ListKeys] = 500, [KmsOperation.ListAliases] = 500,
        [KmsOperation.ListGrants] = 100, [KmsOperation.ListRetirableGrants] = 100, [KmsOperation.ListKeyPolicies] = 100,
        [KmsOperation.ListResourceTags] = 100, [KmsOperation.ListKeyRotations] = 100, [KmsOperation.DescribeCustomKeyStores] = 100,
        [KmsOperation.GenerateDataKeyPair] = 500, [KmsOperation.GenerateDataKeyPairWithoutPlaintext] = 500,
        [KmsOperation.CreateKey] = 50, [KmsOperation.CreateGrant] = 50, [KmsOperation.RetireGrant] = 50, [KmsOperation.RevokeGrant] = 50,
        [KmsOperation.CreateAlias] = 50, [KmsOperation.UpdateAlias] = 50, [KmsOperation.DeleteAlias] = 50,
        [KmsOperation.EnableKey] = 50, [KmsOperation.DisableKey] = 50, [KmsOperation.ScheduleKeyDeletion] = 50,
        [KmsOperation.CancelKeyDeletion] = 50, [KmsOperation.UpdateKeyDescription] = 50, [KmsOperation.PutKeyPolicy] = 50,
        [KmsOperation.TagResource] = 50, [KmsOperation.UntagResource] = 50, [KmsOperation.EnableKeyRotation] = 50,
        [KmsOperation.DisableKeyRotation] = 50, [KmsOperation.ImportKeyMaterial] = 50, [KmsOperation.DeleteImportedKeyMaterial] = 50,
        [KmsOperation.GetParametersForImport] = 10, [KmsOperation.RotateKeyOnDemand] = 5,
        [KmsOperation.CreateCustomKeyStore] = 5, [KmsOperation.UpdateCustomKeyStore] = 5, [KmsOperation.DeleteCustomKeyStore] = 5,
        [KmsOperation.ConnectCustomKeyStore] = 5, [KmsOperation.DisconnectCustomKeyStore] = 5,
    }.ToFrozenDictionary();
}

/// <summary>The buckets of <see cref="RequestQuotaOptions"/>, one per account and quota, made on first use.</summary>
public sealed class RequestQuotas(RequestQuotaOptions options)
{
    // Bucket ids: the three shared cryptographic quotas, then one per operation.
    private const int SymmetricBucket = -1, RsaBucket = -2, EccBucket = -3;
    private const int MaxBuckets = 100_000;
    private readonly ConcurrentDictionary<(string Account, int Bucket), TokenBucket> _buckets = new();

    public RequestQuotaOptions Options => options;

    /// <summary>The operations charged to the quota of the key they use (<see cref="ChargeKeyUse"/>), not their own.</summary>
    public static bool IsKeyUse(KmsOperation operation) => operation is KmsOperation.Encrypt or KmsOperation.Decrypt
        or KmsOperation.ReEncrypt or KmsOperation.GenerateDataKey or KmsOperation.GenerateDataKeyWithoutPlaintext
        or KmsOperation.GenerateMac or KmsOperation.VerifyMac or KmsOperation.Sign or KmsOperation.Verify
        or KmsOperation.DeriveSharedSecret or KmsOperation.Encapsulate or KmsOperation.Decapsulate;

    /// <summary>Charges a request that is not a key use to its operation's quota (GenerateRandom: the symmetric one).</summary>
    public void ChargeOperation(Caller caller)
    {
        var operation = caller.Operation;
        if (IsKeyUse(operation)) return;
        if (operation == KmsOperation.GenerateRandom) Charge(caller.AccountId, SymmetricBucket, options.Symmetric);
        else if (options.Operations.TryGetValue(operation, out var rate)) Charge(caller.AccountId, (int)operation, rate);
    }

    /// <summary>Charges a cryptographic request to the shared quota of its key's kind, in the key owner's account.</summary>
    public void ChargeKeyUse(Caller caller, KeyRecord key, KeyFamily family)
    {
        if (!IsKeyUse(caller.Operation)) return;
        var (bucket, rate) = family switch
        {
            // ML-DSA and ML-KEM share RSA's quota (AWS documents none of their own here); Ed25519 is an ECC key.
            KeyFamily.Rsa or KeyFamily.MlDsa or KeyFamily.MlKem => (RsaBucket, options.Rsa),
            KeyFamily.Ecc or KeyFamily.Edwards => (EccBucket, options.Ecc),
            _ => (SymmetricBucket, options.Symmetric),
        };
        Charge(key.AccountId, bucket, rate);
    }

    private void Charge(string account, int bucket, int rate)
    {
        if (rate <= 0) return;
        if (!_buckets.TryGetValue((account, bucket), out var b))
        {
            // Buckets of accounts that stopped calling are dropped wholesale past the bound (a full bucket again).
            if (_buckets.Count >= MaxBuckets) _buckets.Clear();
            b = _buckets.GetOrAdd((account, bucket), _ => new TokenBucket(rate));
        }
        // AWS's answer, word for word (its Developer Guide, "Throttling AWS KMS requests").
        if (!b.TryTake())
            throw new KmsException(KmsErrorCode.ThrottlingException, "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.");
    }
}
