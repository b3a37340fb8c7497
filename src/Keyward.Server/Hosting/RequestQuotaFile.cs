using System.Text.Json;
using Keyward.Core.Service;
using Keyward.Protocol;

namespace Keyward.Server.Hosting;

/// <summary>
/// `serve --request-quotas`: <c>off</c>, <c>default</c>, or a JSON file that changes some quotas and keeps the defaults
/// of the rest (requests per second per account; 0 turns one off):
/// <code>{ "symmetric": 20000, "rsa": 1000, "ecc": 1000, "operations": { "CreateKey": 5, "ListKeys": 0 } }</code>
/// </summary>
public static class RequestQuotaFile
{
    public static RequestQuotaOptions Parse(string value)
    {
        if (value == "off") return RequestQuotaOptions.Off;
        if (value == "default") return new RequestQuotaOptions();
        string text;
        try { text = File.ReadAllText(value); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ServerConfigurationException($"cannot read the request quota file {value}: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Invalid(value, "it is not a JSON object");
            var options = new RequestQuotaOptions();
            var operations = new Dictionary<KmsOperation, int>(options.Operations);
            foreach (var member in doc.RootElement.EnumerateObject())
            {
                switch (member.Name)
                {
                    case "symmetric": options = options with { Symmetric = Rate(value, member) }; break;
                    case "rsa": options = options with { Rsa = Rate(value, member) }; break;
                    case "ecc": options = options with { Ecc = Rate(value, member) }; break;
                    case "operations" when member.Value.ValueKind == JsonValueKind.Object:
                        foreach (var op in member.Value.EnumerateObject())
                        {
                            if (!KmsTarget.TryParse("TrentService." + op.Name, out var operation))
                                throw Invalid(value, $"'{op.Name}' is not a KMS operation");
                            if (RequestQuotas.IsKeyUse(operation) || operation == KmsOperation.GenerateRandom)
                                throw Invalid(value, $"{op.Name} is charged to a shared cryptographic quota (symmetric, rsa, ecc), not its own");
                            operations[operation] = Rate(value, op);
                        }
                        break;
                    default: throw Invalid(value, $"'{member.Name}' is not a quota (symmetric, rsa, ecc, operations)");
                }
            }
            return options with { Operations = operations };
        }
        catch (JsonException e) { throw Invalid(value, e.Message); }
    }

    private static int Rate(string file, JsonProperty member) =>
        member.Value.ValueKind == JsonValueKind.Number && member.Value.TryGetInt32(out var n) && n >= 0
            ? n : throw Invalid(file, $"{member.Name} must be a whole number of requests per second, 0 for no quota");

    private static ServerConfigurationException Invalid(string file, string why) => new($"the request quota file {file} is not valid: {why}.");
}
