namespace Keyward.Protocol;

/// <summary>
/// The names of <see cref="KmsOperation"/> members, computed once: the operation name (audit events), its IAM action
/// (<c>kms:Encrypt</c>, policy evaluation), and the interned name for a name read back as text (the audit journal).
/// The enum's members are numbered from 0 without gaps, so a member's value indexes the tables.
/// </summary>
public static class KmsOperationNames
{
    private static readonly string[] Names = Enum.GetNames<KmsOperation>();
    private static readonly string[] Actions = Names.Select(n => "kms:" + n).ToArray();
    private static readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> ByName =
        Names.ToDictionary(n => n, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Name(KmsOperation operation) => Names[(int)operation];

    public static string Action(KmsOperation operation) => Actions[(int)operation];

    /// <summary>The one string instance of an operation's name, if <paramref name="name"/> is one.</summary>
    public static bool TryIntern(ReadOnlySpan<char> name, out string interned) => ByName.TryGetValue(name, out interned!);
}
