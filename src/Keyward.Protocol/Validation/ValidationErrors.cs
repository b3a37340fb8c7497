using System.Globalization;
using System.Text;
using Keyward.Protocol.Errors;

namespace Keyward.Protocol.Validation;

/// <summary>
/// Collects model-constraint violations and reports them the way AWS's front end does:
/// "2 validation errors detected: Value 'x' at 'keyId' failed to satisfy constraint: ...; Value ...".
/// Member names are the wire names with a lower-case first letter, as AWS prints them.
/// </summary>
public sealed class ValidationErrors
{
    private List<string>? _errors;

    public bool Any => _errors is { Count: > 0 };

    public void Add(string? shownValue, string member, string constraint)
    {
        var value = shownValue is null ? "Value null" : $"Value '{shownValue}'";
        (_errors ??= []).Add($"{value} at '{member}' failed to satisfy constraint: {constraint}");
    }

    /// <summary>For sensitive members (plaintext, ciphertext) AWS names the member but not the value.</summary>
    public void AddHidden(string member, string constraint) =>
        (_errors ??= []).Add($"Value at '{member}' failed to satisfy constraint: {constraint}");

    public void Required(object? value, string member)
    {
        if (value is null) Add(null, member, "Member must not be null");
    }

    public void Length(string? value, string member, int min, int max)
    {
        if (value is null) return;
        if (value.Length < min) Add(value, member, $"Member must have length greater than or equal to {min}");
        else if (value.Length > max) Add(Shorten(value), member, $"Member must have length less than or equal to {max}");
    }

    public void Pattern(string? value, string member, string pattern, Func<string, bool> matches)
    {
        if (value is not null && !matches(value)) Add(Shorten(value), member, $"Member must satisfy regular expression pattern: {pattern}");
    }

    public void BlobLength(byte[]? value, string member, int min, int max)
    {
        if (value is null) return;
        if (value.Length < min) AddHidden(member, $"Member must have length greater than or equal to {min}");
        else if (value.Length > max) AddHidden(member, $"Member must have length less than or equal to {max}");
    }

    public void Range(int? value, string member, int min, int max)
    {
        if (value is null) return;
        var shown = value.Value.ToString(CultureInfo.InvariantCulture);
        if (value < min) Add(shown, member, $"Member must have value greater than or equal to {min}");
        else if (value > max) Add(shown, member, $"Member must have value less than or equal to {max}");
    }

    public void Enum(string? value, string member, IReadOnlyList<string> allowed)
    {
        if (value is null) return;
        foreach (var a in allowed) if (string.Equals(a, value, StringComparison.Ordinal)) return;
        Add(Shorten(value), member, $"Member must satisfy enum value set: [{string.Join(", ", allowed)}]");
    }

    public void Count<T>(ICollection<T>? value, string member, int min, int max)
    {
        if (value is null) return;
        if (value.Count < min) Add("[]", member, $"Member must have length greater than or equal to {min}");
        else if (value.Count > max) Add(null, member, $"Member must have length less than or equal to {max}");
    }

    /// <summary>Throws the collected errors as one ValidationException, if there are any.</summary>
    public void ThrowIfAny()
    {
        if (_errors is not { Count: > 0 } errors) return;
        var sb = new StringBuilder();
        sb.Append(errors.Count.ToString(CultureInfo.InvariantCulture))
          .Append(errors.Count == 1 ? " validation error detected: " : " validation errors detected: ");
        sb.AppendJoin("; ", errors);
        throw KmsException.Validation(sb.ToString());
    }

    // Echoed values are bounded so an oversized input is not reflected back whole.
    private static string Shorten(string value) => value.Length <= 256 ? value : string.Concat(value.AsSpan(0, 256), "...");
}
