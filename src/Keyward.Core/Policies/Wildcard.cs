namespace Keyward.Core.Policies;

/// <summary>IAM wildcard matching: '*' any run of characters (also empty), '?' exactly one.</summary>
public static class Wildcard
{
    /// <remarks>
    /// The text between stars is matched as fixed segments: the first at the start, the last at the end, each one in
    /// between at its leftmost place after the one before (which is where a match exists if any does). A segment
    /// without '?' is found with a vectorized search, so a hostile pattern such as <c>*aaa…ab</c> against a long run of
    /// <c>a</c> costs one pass over the text, not one pass per position (the backtracking matcher this replaces spent
    /// seconds of CPU on a 8,000-character pattern and a 200,000-character encryption context value).
    /// </remarks>
    public static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text, bool ignoreCase)
    {
        var firstStar = pattern.IndexOf('*');
        if (firstStar < 0) return text.Length == pattern.Length && SegmentAt(pattern, text, ignoreCase);
        var lastStar = pattern.LastIndexOf('*');
        var head = pattern[..firstStar];
        var tail = pattern[(lastStar + 1)..];
        if (text.Length < head.Length + tail.Length) return false;
        if (!SegmentAt(head, text, ignoreCase) || !SegmentAt(tail, text[(text.Length - tail.Length)..], ignoreCase)) return false;
        var rest = text[head.Length..(text.Length - tail.Length)];
        var middle = firstStar < lastStar ? pattern[(firstStar + 1)..lastStar] : [];
        while (!middle.IsEmpty)
        {
            var star = middle.IndexOf('*');
            var segment = star < 0 ? middle : middle[..star];
            middle = star < 0 ? [] : middle[(star + 1)..];
            if (segment.IsEmpty) continue;
            var at = Find(rest, segment, ignoreCase);
            if (at < 0) return false;
            rest = rest[(at + segment.Length)..];
        }
        return true;
    }

    /// <summary>The leftmost place in <paramref name="text"/> where <paramref name="segment"/> (no '*') matches, or -1.</summary>
    private static int Find(ReadOnlySpan<char> text, ReadOnlySpan<char> segment, bool ignoreCase)
    {
        if (!segment.Contains('?')) return ignoreCase ? text.IndexOf(segment, StringComparison.OrdinalIgnoreCase) : text.IndexOf(segment);
        // Anchor on the longest run without '?', then check the whole segment around each place the run occurs.
        var (offset, length) = LongestLiteral(segment);
        var anchor = segment.Slice(offset, length);
        if (anchor.IsEmpty)
            return text.Length >= segment.Length ? 0 : -1; // only '?': any place with room
        for (var from = 0; from <= text.Length - anchor.Length;)
        {
            var hit = Find(text[from..], anchor, ignoreCase);
            if (hit < 0) return -1;
            var start = from + hit - offset;
            if (start >= 0 && start + segment.Length <= text.Length && SegmentAt(segment, text[start..], ignoreCase)) return start;
            from += hit + 1;
        }
        return -1;
    }

    private static (int Offset, int Length) LongestLiteral(ReadOnlySpan<char> segment)
    {
        int best = 0, bestLength = 0;
        for (int i = 0, start = 0; i <= segment.Length; i++)
        {
            if (i < segment.Length && segment[i] != '?') continue;
            if (i - start > bestLength) (best, bestLength) = (start, i - start);
            start = i + 1;
        }
        return (best, bestLength);
    }

    /// <summary>True when <paramref name="segment"/> (no '*') matches the start of <paramref name="text"/>.</summary>
    private static bool SegmentAt(ReadOnlySpan<char> segment, ReadOnlySpan<char> text, bool ignoreCase)
    {
        if (text.Length < segment.Length) return false;
        for (var i = 0; i < segment.Length; i++)
            if (segment[i] != '?' && !Same(segment[i], text[i], ignoreCase)) return false;
        return true;
    }

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || (ignoreCase && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
}
