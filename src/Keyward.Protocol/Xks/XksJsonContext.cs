using System.Text.Json.Serialization;

namespace Keyward.Protocol.Xks;

/// <summary>
/// Source-generated serializers for the XKS Proxy API: camelCase member names, unknown members ignored, a member given
/// twice refused, nulls left out, byte arrays as standard Base64 (RFC 4648 §4), as the specification requires.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(XksKeyMetadataRequest))]
[JsonSerializable(typeof(XksKeyMetadataResponse))]
[JsonSerializable(typeof(XksEncryptRequest))]
[JsonSerializable(typeof(XksEncryptResponse))]
[JsonSerializable(typeof(XksDecryptRequest))]
[JsonSerializable(typeof(XksDecryptResponse))]
[JsonSerializable(typeof(XksHealthRequest))]
[JsonSerializable(typeof(XksHealthResponse))]
[JsonSerializable(typeof(XksError))]
public sealed partial class XksJsonContext : JsonSerializerContext;
