using System.Text.Json;
using System.Text.Json.Serialization;
using Keyward.Pkcs11;

namespace Keyward.XksProxy;

// Settable properties: the source-generated deserializer leaves init-only ones at their type's default.

/// <summary>
/// The configuration file of `keyward xks-proxy` (docs/xks-proxy.md describes every member). Credentials are
/// re-read from it while the proxy runs (<see cref="XksTenants"/>); everything else is read at start.
/// </summary>
public sealed class XksProxyOptions
{
    /// <summary>http://host:port (only with <see cref="AllowPlainHttp"/>, for tests) or https://host:port.</summary>
    public string Listen { get; set; } = "https://0.0.0.0:8443";
    public bool AllowPlainHttp { get; set; }
    public XksTlsOptions? Tls { get; set; }
    public required HsmClusterOptions Cluster { get; set; }
    /// <summary>The environment variable that holds the HSM user PIN (never in this file).</summary>
    public string PinEnvironmentVariable { get; set; } = "KEYWARD_XKS_PIN";
    /// <summary>Label of an AES-256 key on every HSM used by the deep health check (encrypt and decrypt a test block).</summary>
    public string? HealthCheckKey { get; set; }
    /// <summary>How long a deep health check is reused (GetHealthStatus and /healthz); the specification allows at most a minute.</summary>
    public int HealthCacheSeconds { get; set; } = 30;
    public string Vendor { get; set; } = "Keyward";
    public string Model { get; set; } = "Keyward XKS Proxy 1.0";
    public string EkmVendor { get; set; } = "PKCS#11";
    public List<XksTenantOptions> Tenants { get; set; } = [];

    public static XksProxyOptions Load(string path)
    {
        XksProxyOptions? options;
        try { options = JsonSerializer.Deserialize(File.ReadAllText(path), XksProxyJson.Default.XksProxyOptions); }
        catch (JsonException e) { throw new XksConfigurationException($"The configuration file '{path}' is not valid: {e.Message}"); }
        if (options is null) throw new XksConfigurationException($"The configuration file '{path}' is empty.");
        options.Validate();
        return options;
    }

    public void Validate()
    {
        var https = Listen.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
        if (!https && !(AllowPlainHttp && Listen.StartsWith("http://", StringComparison.OrdinalIgnoreCase)))
            throw new XksConfigurationException("listen must be an https:// address (http:// only with allowPlainHttp, for tests).");
        if (https && Tls is null) throw new XksConfigurationException("An https:// listen address needs tls.certificate and tls.key.");
        if (Tenants.Count == 0) throw new XksConfigurationException("No tenants: add at least one URI path prefix with its credentials.");
        if (HealthCacheSeconds is < 0 or > 60) throw new XksConfigurationException("healthCacheSeconds must be between 0 and 60 (the specification allows a cached health check up to a minute old).");
        foreach (var t in Tenants) t.Validate();
        if (Tenants.Select(t => t.UriPathPrefix).Distinct(StringComparer.Ordinal).Count() != Tenants.Count)
            throw new XksConfigurationException("Two tenants have the same uriPathPrefix.");
    }
}

public sealed class XksTlsOptions
{
    public required string Certificate { get; set; }
    public required string Key { get; set; }
    /// <summary>PEM file of the CA that client certificates must chain to; mutual TLS is on when it is set.</summary>
    public string? ClientCa { get; set; }
    /// <summary>The subject the client certificate must have (e.g. CN=cks.kms.us-east-1.amazonaws.com); any when absent.</summary>
    public string? ClientSubject { get; set; }
}

/// <summary>One URI path prefix: its credentials (one or two, for rotation), its keys and its request rate.</summary>
public sealed class XksTenantOptions
{
    /// <summary>"" or "/a/b": the part of XksProxyUriPath before /kms/xks/v1.</summary>
    public string UriPathPrefix { get; set; } = "";
    public List<XksCredential> Credentials { get; set; } = [];
    /// <summary>The external key ids (HSM labels) this tenant may use; every key when absent.</summary>
    public List<string>? Keys { get; set; }
    /// <summary>Requests per second before ThrottlingException (AWS's default quota per external key store).</summary>
    public int RequestsPerSecond { get; set; } = 1800;
    /// <summary>Secondary authorization rules; every signed request is allowed when absent.</summary>
    public XksAuthorizationOptions? Authorization { get; set; }

    public void Validate()
    {
        if (UriPathPrefix.Length > 0 && (!UriPathPrefix.StartsWith('/') || UriPathPrefix.EndsWith('/')
            || !UriPathPrefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_') || UriPathPrefix.Length > 117))
            throw new XksConfigurationException($"uriPathPrefix '{UriPathPrefix}' must be empty or /segments of a-zA-Z0-9-_ (XksProxyUriPath is at most 128 characters).");
        if (Credentials.Count is < 1 or > 2) throw new XksConfigurationException($"Tenant '{UriPathPrefix}' needs one or two credentials (two while rotating).");
        foreach (var c in Credentials)
        {
            if (c.AccessKeyId.Length is < 20 or > 30 || !c.AccessKeyId.All(ch => ch is >= 'A' and <= 'Z' or >= '2' and <= '7'))
                throw new XksConfigurationException($"Access key id '{c.AccessKeyId}' must be 20-30 characters of A-Z and 2-7.");
            if (c.SecretAccessKey.Length is < 43 or > 64 || !c.SecretAccessKey.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '/' or '+' or '='))
                throw new XksConfigurationException($"The secret of '{c.AccessKeyId}' must be 43-64 characters of a-zA-Z0-9/+=.");
        }
        if (RequestsPerSecond < 1) throw new XksConfigurationException($"Tenant '{UriPathPrefix}': requestsPerSecond must be positive.");
        Authorization?.Validate(UriPathPrefix);
    }
}

public sealed class XksCredential
{
    public required string AccessKeyId { get; set; }
    public required string SecretAccessKey { get; set; }
}

public sealed class XksConfigurationException(string message) : Exception(message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(XksProxyOptions))]
internal sealed partial class XksProxyJson : JsonSerializerContext;
