using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keyward.Pkcs11;

// Settable properties: the source-generated deserializer would give init-only ones their type's
// default, not the initializer's, when the JSON leaves them out.

/// <summary>
/// The HSM part of Keyward's configuration file: the HSM clusters custom key stores can use, and
/// optionally the PKCS#11 seal. docs/configuration.md describes every member.
/// </summary>
public sealed record HsmConfiguration
{
    public List<HsmClusterOptions> Clusters { get; set; } = [];
    public Pkcs11SealOptions? Seal { get; set; }

    public HsmClusterOptions? FindCluster(string id) => Clusters.Find(c => c.Id == id);

    public static HsmConfiguration Load(string path)
    {
        HsmConfiguration? config;
        try { config = JsonSerializer.Deserialize(File.ReadAllText(path), HsmConfigurationJson.Default.HsmConfiguration); }
        catch (JsonException e) { throw new Pkcs11ConfigurationException($"The configuration file '{path}' is not valid: {e.Message}"); }
        if (config is null) throw new Pkcs11ConfigurationException($"The configuration file '{path}' is empty.");
        foreach (var cluster in config.Clusters) cluster.Validate();
        if (config.Clusters.Select(c => c.Id).Distinct().Count() != config.Clusters.Count)
            throw new Pkcs11ConfigurationException("Two HSM clusters in the configuration have the same id.");
        return config;
    }
}

/// <summary>
/// An HSM cluster: one or more HSMs that hold the same keys. Its id is what CreateCustomKeyStore's
/// CloudHsmClusterId names, so it has AWS's form (cluster-[2-7a-zA-Z]{11,16}).
/// </summary>
public sealed record HsmClusterOptions
{
    public required string Id { get; set; }
    /// <summary>The PKCS#11 module of every HSM that does not name its own.</summary>
    public string? Module { get; set; }
    public required List<HsmOptions> Hsms { get; set; }
    /// <summary>The PEM certificate CreateCustomKeyStore's TrustAnchorCertificate must match; any is accepted when absent.</summary>
    public string? TrustAnchorCertificateFile { get; set; }
    /// <summary>Clusters with the same backup history hold the same keys (one was restored from the other's backup);
    /// UpdateCustomKeyStore moves a store only between such clusters. Defaults to the cluster id.</summary>
    public string? BackupHistory { get; set; }
    public int MaxSessionsPerHsm { get; set; } = 16;
    /// <summary>Longest wait for a free session before a request fails (milliseconds).</summary>
    public int SessionWaitMilliseconds { get; set; } = 2000;
    /// <summary>How often a failed HSM is tried again (milliseconds).</summary>
    public int HealthCheckMilliseconds { get; set; } = 2000;

    public string History => BackupHistory ?? Id;

    public void Validate()
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(Id, "^cluster-[2-7a-zA-Z]{11,16}$"))
            throw new Pkcs11ConfigurationException($"HSM cluster id '{Id}' must look like an AWS CloudHSM cluster id: cluster-[2-7a-zA-Z]{{11,16}}.");
        if (Hsms.Count == 0) throw new Pkcs11ConfigurationException($"HSM cluster '{Id}' has no HSMs.");
        foreach (var hsm in Hsms)
            if ((hsm.Module ?? Module) is null) throw new Pkcs11ConfigurationException($"HSM '{hsm.Token}' of cluster '{Id}' has no PKCS#11 module.");
        if (MaxSessionsPerHsm < 1 || SessionWaitMilliseconds < 1 || HealthCheckMilliseconds < 1)
            throw new Pkcs11ConfigurationException($"HSM cluster '{Id}' has a limit below 1.");
    }
}

/// <summary>One HSM: a token label in a PKCS#11 module, and environment the module reads when loaded.</summary>
public sealed record HsmOptions
{
    public required string Token { get; set; }
    public string? Module { get; set; }
    public Dictionary<string, string>? Environment { get; set; }
}

/// <summary>The PKCS#11 seal: the root key is the AES key <see cref="KeyLabel"/> on <see cref="Token"/>.</summary>
public sealed record Pkcs11SealOptions
{
    public required string Module { get; set; }
    public required string Token { get; set; }
    public string KeyLabel { get; set; } = "keyward-root-key";
    /// <summary>A file (mode 0600) holding the crypto user's PIN; else the KEYWARD_SEAL_PIN environment variable.</summary>
    public string? PinFile { get; set; }
    public Dictionary<string, string>? Environment { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(HsmConfiguration))]
internal sealed partial class HsmConfigurationJson : JsonSerializerContext;
