using System.CommandLine;
using System.CommandLine.Parsing;

namespace Keyward.Cli;

/// <summary>
/// A parse result's first mistake as one line that names it, with the closest known word where one is within two
/// edits ("unknown option '--listn'; did you mean '--listen'?"), instead of the parser's own block of help text.
/// </summary>
internal static class ParseFailure
{
    public static string? Describe(ParseResult result)
    {
        if (result.Errors.Count == 0) return null;
        var command = result.CommandResult.Command;
        var name = CommandFailure.Path(result).TrimEnd();
        var unmatched = result.UnmatchedTokens.FirstOrDefault();
        var isGroup = command.Subcommands.Count > 0 && command.Action is null;
        if (isGroup && (unmatched is null || !unmatched.StartsWith('-')))
        {
            var known = command.Subcommands.Select(s => s.Name).Where(s => s != "help").ToList();
            if (unmatched is null) return $"{name} needs a subcommand: {string.Join(", ", known)}";
            return name.Length == 0
                ? $"unknown command '{unmatched}'{Suggest(unmatched, known)}"
                : $"unknown {name} subcommand '{unmatched}'{Suggest(unmatched, known)} ({name} has {string.Join(", ", known)})";
        }
        if (unmatched is not null)
        {
            return unmatched.StartsWith('-')
                ? $"unknown option '{unmatched}'{Suggest(unmatched, command.Options.Select(o => o.Name))}"
                : $"{name}: unexpected argument '{unmatched}'";
        }
        foreach (var error in result.Errors)
        {
            switch (error.SymbolResult)
            {
                case OptionResult { Option: var option, Tokens.Count: 0, Implicit: false }:
                    return $"option {option.Name} needs a value";
                case ArgumentResult { Argument: var argument } when argument.Parents.OfType<Command>().Any():
                    return $"{name} needs {argument.Description}: keyward {name} <{argument.Name}>";
            }
        }
        if (command.Options.FirstOrDefault(o => o.Required && result.GetResult(o) is not OptionResult { Tokens.Count: > 0 }) is { } missing)
            return $"{name} needs {missing.Name} <{missing.HelpName}>";
        return result.Errors[0].Message;
    }

    /// <summary>"; did you mean 'x'?" for the closest of <paramref name="known"/> within two edits, else nothing.</summary>
    private static string Suggest(string given, IEnumerable<string> known)
    {
        var best = known.Select(k => (k, d: Distance(given.TrimStart('-'), k.TrimStart('-')))).OrderBy(p => p.d).FirstOrDefault();
        return best.k is not null && best.d <= 2 ? $"; did you mean '{best.k}'?" : "";
    }

    /// <summary>Levenshtein distance, one row at a time.</summary>
    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var next = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = next;
            }
        }
        return row[b.Length];
    }
}
