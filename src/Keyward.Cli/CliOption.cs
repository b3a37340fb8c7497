using System.CommandLine;
using System.CommandLine.Parsing;

namespace Keyward.Cli;

/// <summary>
/// The options of the command line, made one way: a value given on the command line wins, then the environment
/// variable named in the description, then the default. A value either source cannot use is a parse error that
/// names the option or the variable, found before the command runs (so before anything is written).
/// </summary>
internal static class CliOption
{
    /// <summary>Text taken as given (a path, an address); <paramref name="fallback"/> when neither source sets it.</summary>
    public static Option<string?> Text(string name, string helpName, string description, string? variable = null, string? fallback = null)
    {
        var option = new Option<string?>(name) { HelpName = helpName, Description = Described(description, variable), Arity = ArgumentArity.ExactlyOne };
        // Without a variable or a default there is no default value at all: a Required option is then required.
        if (variable is not null || fallback is not null) option.DefaultValueFactory = _ => Env(variable) ?? fallback;
        return option;
    }

    /// <summary>
    /// A value read by <paramref name="parse"/> (a <see cref="FormatException"/>: not valid, and the message says the option
    /// needs <paramref name="expects"/>), from the option, else from <paramref name="variable"/>, else from
    /// <paramref name="fallback"/>. Help shows the default as its text.
    /// </summary>
    public static Option<Parsed<T>> Parsed<T>(string name, string helpName, string description, string? variable, string fallback,
        Func<string, T> parse, string expects)
    {
        var fallbackValue = parse(fallback);
        return new Option<Parsed<T>>(name)
        {
            HelpName = helpName,
            Description = Described(description, variable),
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = r => Read(r, r.Tokens[0].Value, name),
            DefaultValueFactory = r => Env(variable) is { } value ? Read(r, value, variable!) : new Parsed<T>(fallbackValue, fallback),
        };

        Parsed<T> Read(ArgumentResult r, string text, string source) =>
            TryParse(r, text, source, parse, expects, out var value) ? new Parsed<T>(value, text) : new Parsed<T>(fallbackValue, fallback);
    }

    /// <summary>A value read by <paramref name="parse"/> when the option is given, else null (no variable, no default).</summary>
    public static Option<T?> Optional<T>(string name, string helpName, string description, Func<string, T> parse, string expects)
        where T : struct =>
        new(name)
        {
            HelpName = helpName,
            Description = description,
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = r => TryParse(r, r.Tokens[0].Value, name, parse, expects, out var value) ? value : null,
        };

    /// <summary>
    /// <paramref name="parse"/> of <paramref name="text"/>; a <see cref="FormatException"/> is a parse error on
    /// <paramref name="r"/> naming <paramref name="source"/> (the option or its variable) and what it needs.
    /// </summary>
    private static bool TryParse<T>(ArgumentResult r, string text, string source, Func<string, T> parse, string expects, out T value)
    {
        try
        {
            value = parse(text);
            return true;
        }
        catch (FormatException)
        {
            r.AddError($"{source} needs {expects}");
            value = default!;
            return false;
        }
    }

    public static Option<Parsed<bool>> OnOff(string name, string description, string variable, string fallback) =>
        Parsed<bool>(name, "on|off", description, variable, fallback, v => v switch { "on" => true, "off" => false, _ => throw new FormatException() },
            "on or off");

    public static Option<Parsed<int>> PositiveWhole(string name, string helpName, string description, int fallback) =>
        Parsed<int>(name, helpName, description, null, fallback.ToString(System.Globalization.CultureInfo.InvariantCulture),
            v => int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new FormatException(), "a positive whole number");

    private static string Described(string description, string? variable) =>
        variable is null ? description : $"{description} (env {variable})";

    private static string? Env(string? name) =>
        name is not null && Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
}

/// <summary>An option's value and the text it was read from (what help shows as the default).</summary>
internal readonly record struct Parsed<T>(T Value, string Text)
{
    public override string ToString() => Text;
}
