using System.Text;

namespace Keyward.Core.Service;

internal static class Paging
{
    // Markers are opaque to clients; inside they are the last item's sort key.
    public static string EncodeMarker(string lastKey) => Convert.ToBase64String(Encoding.UTF8.GetBytes("k1:" + lastKey));

    public static string? DecodeMarker(string? marker)
    {
        if (marker is null) return null;
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(marker));
            if (text.StartsWith("k1:", StringComparison.Ordinal) && text.Length > 3) return text[3..];
        }
        catch (FormatException) { }
        throw Faults.InvalidMarker();
    }
}
