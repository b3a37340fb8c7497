using System.Globalization;
using System.Security.Cryptography;
using Keyward.Core.Service;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keyward.Server.Hosting;

/// <summary>
/// The seed file (`serve --seed`, `keyward seed`): local-kms's format, read as local-kms reads it, so the same file
/// seeds either (docs/operations.md, "Seeding"):
/// <code>
/// Keys:
///   Symmetric:
///     Aes:  [ { Metadata: { KeyId, Description?, Origin?, Tags?, Policy? }, BackingKeys: [hex, …], NextKeyRotation? } ]
///     Hmac: [ { Metadata: { KeyId, KeySpec: HMAC_224|256|384|512, … }, BackingKeys: [hex] } ]   (Keyward's addition)
///   Asymmetric:
///     Rsa:  [ { Metadata: { KeyId, KeyUsage, Description? }, PrivateKeyPem } ]
///     Ecc:  [ { Metadata: { KeyId, KeyUsage, Description? }, PrivateKeyPem } ]
/// Aliases: [ { AliasName, TargetKeyId } ]
/// </code>
/// The YAML is read through YamlDotNet's representation model (no reflection). Key material never appears in an error.
/// </summary>
public static class SeedFile
{
    public static (IReadOnlyList<KeySeed> Keys, IReadOnlyList<(string AliasName, string TargetKeyId)> Aliases) Load(string path)
    {
        YamlMappingNode root;
        try
        {
            using var reader = new StreamReader(path);
            var yaml = new YamlStream();
            yaml.Load(reader);
            root = yaml.Documents.Count == 0 ? new YamlMappingNode()
                : yaml.Documents[0].RootNode as YamlMappingNode ?? throw Invalid(path, "its top level is not a mapping");
        }
        catch (YamlException e) { throw Invalid(path, $"it is not valid YAML (line {e.Start.Line})"); }
        catch (IOException e) { throw new ServerConfigurationException($"cannot read the seed file {path}: {e.Message}"); }
        var keys = new List<KeySeed>();
        if (Child(root, "Keys") is YamlMappingNode groups)
        {
            if (Child(groups, "Symmetric") is YamlMappingNode symmetric)
            {
                foreach (var entry in Entries(symmetric, "Aes")) keys.Add(Secret(path, entry, "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", 32));
                foreach (var entry in Entries(symmetric, "Hmac"))
                {
                    var spec = Text(Child(entry, "Metadata"), "KeySpec") ?? "HMAC_256";
                    var bytes = spec switch { "HMAC_224" => 28, "HMAC_256" => 32, "HMAC_384" => 48, "HMAC_512" => 64, _ => throw Invalid(path, $"{spec} is not an HMAC key spec") };
                    keys.Add(Secret(path, entry, spec, "GENERATE_VERIFY_MAC", bytes));
                }
            }
            if (Child(groups, "Asymmetric") is YamlMappingNode asymmetric)
            {
                foreach (var entry in Entries(asymmetric, "Rsa")) keys.Add(Pair(path, entry, rsa: true));
                foreach (var entry in Entries(asymmetric, "Ecc")) keys.Add(Pair(path, entry, rsa: false));
            }
        }
        var aliases = new List<(string, string)>();
        foreach (var entry in Entries(root, "Aliases"))
            aliases.Add((Text(entry, "AliasName") ?? throw Invalid(path, "an alias has no AliasName"),
                Text(entry, "TargetKeyId") ?? throw Invalid(path, "an alias has no TargetKeyId")));
        var duplicate = keys.GroupBy(k => k.KeyId, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw Invalid(path, $"key {duplicate.Key} is in it twice");
        return (keys, aliases);
    }

    private static KeySeed Secret(string path, YamlMappingNode entry, string spec, string usage, int bytes)
    {
        var (id, metadata) = Identity(path, entry);
        var origin = Text(metadata, "Origin") ?? "AWS_KMS";
        if (origin is not ("AWS_KMS" or "EXTERNAL")) throw Invalid(path, $"key {id}: Origin {origin} is neither AWS_KMS nor EXTERNAL");
        var materials = new List<byte[]>();
        foreach (var hex in Child(entry, "BackingKeys") is YamlSequenceNode list ? list.Children.OfType<YamlScalarNode>() : [])
        {
            byte[] key;
            try { key = Convert.FromHexString(hex.Value ?? ""); }
            catch (FormatException) { throw Invalid(path, $"key {id}: a backing key is not hex"); }
            if (key.Length != bytes) throw Invalid(path, $"key {id}: a backing key is {key.Length} bytes, {spec} needs {bytes}");
            materials.Add(key);
        }
        if (origin == "AWS_KMS" && materials.Count == 0) throw Invalid(path, $"key {id}: BackingKeys needs at least one key");
        if (origin == "EXTERNAL" && materials.Count > 1) throw Invalid(path, $"key {id}: an EXTERNAL key takes at most one backing key");
        DateTimeOffset? next = null;
        if (Text(entry, "NextKeyRotation") is { } when)
            next = DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? t : throw Invalid(path, $"key {id}: NextKeyRotation '{when}' is not an ISO 8601 time");
        return new KeySeed(id, spec, usage, origin, Text(metadata, "Description") ?? "", materials, next, Tags(path, id, metadata), Text(metadata, "Policy"));
    }

    private static KeySeed Pair(string path, YamlMappingNode entry, bool rsa)
    {
        var (id, metadata) = Identity(path, entry);
        var usage = Text(metadata, "KeyUsage") ?? "SIGN_VERIFY";
        var pem = Text(entry, "PrivateKeyPem") ?? throw Invalid(path, $"key {id}: PrivateKeyPem is missing");
        try
        {
            if (rsa)
            {
                using var key = RSA.Create();
                key.ImportFromPem(pem);
                var spec = key.KeySize switch { 2048 => "RSA_2048", 3072 => "RSA_3072", 4096 => "RSA_4096", _ => throw Invalid(path, $"key {id}: RSA keys are 2048, 3072 or 4096 bits") };
                return new KeySeed(id, spec, usage, "AWS_KMS", Text(metadata, "Description") ?? "", [key.ExportPkcs8PrivateKey()], null,
                    Tags(path, id, metadata), Text(metadata, "Policy"));
            }
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            var curve = ec.ExportParameters(false).Curve.Oid.Value switch
            {
                "1.2.840.10045.3.1.7" => "ECC_NIST_P256", "1.3.132.0.34" => "ECC_NIST_P384", "1.3.132.0.35" => "ECC_NIST_P521", "1.3.132.0.10" => "ECC_SECG_P256K1",
                _ => throw Invalid(path, $"key {id}: its curve is not one of KMS's"),
            };
            return new KeySeed(id, curve, usage, "AWS_KMS", Text(metadata, "Description") ?? "", [ec.ExportPkcs8PrivateKey()], null,
                Tags(path, id, metadata), Text(metadata, "Policy"));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw Invalid(path, $"key {id}: PrivateKeyPem is not a {(rsa ? "RSA" : "EC")} private key in PEM");
        }
    }

    /// <summary>Metadata.Tags, as CreateKey takes them: a list of TagKey and TagValue (Keyward's addition).</summary>
    private static List<Keyward.Core.Keys.TagRecord> Tags(string path, string id, YamlMappingNode? metadata) =>
        [.. (Child(metadata, "Tags") is YamlSequenceNode list ? list.Children.OfType<YamlMappingNode>() : [])
            .Select(t => new Keyward.Core.Keys.TagRecord(
                Text(t, "TagKey") ?? throw Invalid(path, $"key {id}: a tag has no TagKey"), Text(t, "TagValue") ?? ""))];

    private static (string Id, YamlMappingNode? Metadata) Identity(string path, YamlMappingNode entry)
    {
        var metadata = Child(entry, "Metadata") as YamlMappingNode;
        var id = Text(metadata, "KeyId") ?? throw Invalid(path, "a key has no Metadata.KeyId");
        if (!Guid.TryParseExact(id, "D", out _)) throw Invalid(path, $"key id {id} is not a key id (a UUID)");
        return (id, metadata);
    }

    private static YamlNode? Child(YamlNode? node, string name) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(name), out var child) ? child : null;

    private static string? Text(YamlNode? node, string name) => Child(node, name) is YamlScalarNode { Value: { } v } ? v : null;

    private static IEnumerable<YamlMappingNode> Entries(YamlNode node, string name) =>
        Child(node, name) is YamlSequenceNode list ? list.Children.OfType<YamlMappingNode>() : [];

    private static ServerConfigurationException Invalid(string path, string why) => new($"the seed file {path} is not valid: {why}.");
}
