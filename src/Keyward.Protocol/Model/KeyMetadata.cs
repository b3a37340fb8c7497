namespace Keyward.Protocol.Model;

/// <summary>The KeyMetadata structure of the KMS API; members keep their wire names.</summary>
public sealed class KeyMetadata
{
    public string? AWSAccountId { get; set; }
    public string? KeyId { get; set; }
    public string? Arn { get; set; }
    public DateTimeOffset? CreationDate { get; set; }
    public bool Enabled { get; set; }
    public string? Description { get; set; }
    public string? KeyUsage { get; set; }
    public string? KeyState { get; set; }
    public DateTimeOffset? DeletionDate { get; set; }
    public DateTimeOffset? ValidTo { get; set; }
    public string? Origin { get; set; }
    public string? CustomKeyStoreId { get; set; }
    public string? CloudHsmClusterId { get; set; }
    public string? ExpirationModel { get; set; }
    public string? KeyManager { get; set; }
    public string? CustomerMasterKeySpec { get; set; }
    public string? KeySpec { get; set; }
    public List<string>? EncryptionAlgorithms { get; set; }
    public List<string>? SigningAlgorithms { get; set; }
    public List<string>? KeyAgreementAlgorithms { get; set; }
    public List<string>? EncapsulationAlgorithms { get; set; }
    public bool? MultiRegion { get; set; }
    public int? PendingDeletionWindowInDays { get; set; }
    public List<string>? MacAlgorithms { get; set; }
    public string? CurrentKeyMaterialId { get; set; }
    public XksKeyConfiguration? XksKeyConfiguration { get; set; }
    public MultiRegionConfiguration? MultiRegionConfiguration { get; set; }
}

/// <summary>A Multi-Region key's primary and replicas (DescribeKey).</summary>
public sealed class MultiRegionConfiguration
{
    /// <summary>PRIMARY or REPLICA.</summary>
    public string? MultiRegionKeyType { get; set; }
    public MultiRegionKey? PrimaryKey { get; set; }
    /// <summary>Every replica key, the described one included when it is a replica.</summary>
    public List<MultiRegionKey>? ReplicaKeys { get; set; }
}

public sealed class MultiRegionKey
{
    public string? Arn { get; set; }
    public string? Region { get; set; }
}

/// <summary>The external key behind a KMS key in an external key store.</summary>
public sealed class XksKeyConfiguration
{
    public string? Id { get; set; }
}
