using System.Globalization;
using System.Security.Cryptography;
using Keyward.Core.Service;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Keyward.Server.Hosting;

/// <summary>
/// The seed file (`serve --seed`, `keyward seed`): local-kms's format, read as local-kms reads it, so the same file
/// seeds either, with Keyward's additions marked + (docs/operations.md, "Seeding"):
/// <code>
/// Keys:
///   Symmetric:
///     Aes:  [ { Metadata: { KeyId, Description?, Origin?, Tags?+, Policy?+, Aliases?+, Enabled?+ },
///               BackingKeys: [hex, …] (+optional: generated), NextKeyRotation?, RotationPeriodInDays?+ } ]
///     Hmac: [ { Metadata: { KeyId, KeySpec: HMAC_224|256|384|512, … }, BackingKeys?: [hex] } ]   (+)
///   Asymmetric:
///     Rsa:  [ { Metadata: { KeyId, KeyUsage, Description?, KeySpec?+, … }, PrivateKeyPem (+optional with KeySpec) } ]
///     Ecc:  [ { Metadata: { KeyId, KeyUsage, Description?, KeySpec?+, … }, PrivateKeyPem (+optional with KeySpec) } ]
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
        // Metadata.Aliases: a key's aliases in its own entry (Keyward's addition), as if listed under Aliases.
        foreach (var key in keys) aliases.AddRange(key.Aliases.Select(a => (a, key.KeyId)));
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
        // Without BackingKeys an AWS_KMS key gets new material once, when it is made (Keyward's addition).
        if (origin == "EXTERNAL" && materials.Count > 1) throw Invalid(path, $"key {id}: an EXTERNAL key takes at most one backing key");
        DateTimeOffset? next = null;
        if (Text(entry, "NextKeyRotation") is { } when)
            next = DateTimeOffset.TryParse(when, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
                ? t : throw Invalid(path, $"key {id}: NextKeyRotation '{when}' is not an ISO 8601 time");
        int? period = null;
        if (Text(entry, "RotationPeriodInDays") is { } days)
            period = int.TryParse(days, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d is >= 90 and <= 2560
                ? d : throw Invalid(path, $"key {id}: RotationPeriodInDays is a whole number from 90 to 2560, not '{days}'");
        // AWS rotates only symmetric encryption keys of its own material automatically.
        if ((next is not null || period is not null) && (spec != "SYMMETRIC_DEFAULT" || origin != "AWS_KMS"))
            throw Invalid(path, $"key {id}: automatic rotation is only for SYMMETRIC_DEFAULT keys of Origin AWS_KMS");
        return Seed(path, id, metadata, spec, usage, origin, materials) with { NextRotation = next, RotationPeriodInDays = period };
    }

    /// <summary>The fields every entry has in its Metadata: description, tags, policy, aliases, enabled.</summary>
    private static KeySeed Seed(string path, string id, YamlMappingNode? metadata, string spec, string usage, string origin,
        IReadOnlyList<byte[]> materials)
    {
        var enabled = Text(metadata, "Enabled") switch
        {
            null or "true" or "True" => true,
            "false" or "False" => false,
            var other => throw Invalid(path, $"key {id}: Enabled is true or false, not '{other}'"),
        };
        var aliases = Child(metadata, "Aliases") is YamlSequenceNode list
            ? list.Children.Select(a => a is YamlScalarNode { Value: { } name } ? name : throw Invalid(path, $"key {id}: an alias is not a name")).ToList()
            : [];
        return new KeySeed(id, spec, usage, origin, Text(metadata, "Description") ?? "", materials, null, Tags(path, id, metadata),
            Text(metadata, "Policy")) { Enabled = enabled, Aliases = aliases };
    }

    private static KeySeed Pair(string path, YamlMappingNode entry, bool rsa)
    {
        var (id, metadata) = Identity(path, entry);
        var usage = Text(metadata, "KeyUsage") ?? "SIGN_VERIFY";
        var givenSpec = Text(metadata, "KeySpec");
        if (Text(entry, "PrivateKeyPem") is not { } pem)
        {
            // No PEM: a new key pair of the spec the entry names, made once (Keyward's addition).
            var specs = rsa ? RsaSpecs : EccSpecs;
            if (givenSpec is null || !specs.Contains(givenSpec))
                throw Invalid(path, $"key {id}: without PrivateKeyPem, Metadata.KeySpec names one of {string.Join(", ", specs)}");
            return Seed(path, id, metadata, givenSpec, usage, "AWS_KMS", []);
        }
        try
        {
            if (rsa)
            {
                using var key = RSA.Create();
                key.ImportFromPem(pem);
                var spec = key.KeySize switch { 2048 => "RSA_2048", 3072 => "RSA_3072", 4096 => "RSA_4096", _ => throw Invalid(path, $"key {id}: RSA keys are 2048, 3072 or 4096 bits") };
                return Checked(Seed(path, id, metadata, spec, usage, "AWS_KMS", [key.ExportPkcs8PrivateKey()]));
            }
            using var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            var curve = ec.ExportParameters(false).Curve.Oid.Value switch
            {
                "1.2.840.10045.3.1.7" => "ECC_NIST_P256", "1.3.132.0.34" => "ECC_NIST_P384", "1.3.132.0.35" => "ECC_NIST_P521", "1.3.132.0.10" => "ECC_SECG_P256K1",
                _ => throw Invalid(path, $"key {id}: its curve is not one of KMS's"),
            };
            return Checked(Seed(path, id, metadata, curve, usage, "AWS_KMS", [ec.ExportPkcs8PrivateKey()]));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw Invalid(path, $"key {id}: PrivateKeyPem is not a {(rsa ? "RSA" : "EC")} private key in PEM");
        }

        // A KeySpec given beside a PEM must be the PEM's.
        KeySeed Checked(KeySeed seed) => givenSpec is null || givenSpec == seed.KeySpec ? seed
            : throw Invalid(path, $"key {id}: Metadata.KeySpec is {givenSpec}, its PrivateKeyPem is {seed.KeySpec}");
    }

    private static readonly string[] RsaSpecs = ["RSA_2048", "RSA_3072", "RSA_4096"];
    private static readonly string[] EccSpecs = ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"];

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
