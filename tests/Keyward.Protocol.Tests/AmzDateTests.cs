using System.Globalization;
using Keyward.Protocol.SigV4;

namespace Keyward.Protocol.Tests;

/// <summary>
/// The verifier's X-Amz-Date parser against the BCL's exact parser it replaced: the same answer (and the same time) for
/// valid dates, every calendar edge, and strings one edit away from a valid date.
/// </summary>
public sealed class AmzDateTests
{
    [Theory]
    [InlineData("20150830T123600Z")]
    [InlineData("00010101T000000Z")]
    [InlineData("99991231T235959Z")]
    [InlineData("20240229T120000Z")]
    [InlineData("20230229T120000Z")]
    [InlineData("21000229T000000Z")]
    [InlineData("20000229T000000Z")]
    [InlineData("20150431T000000Z")]
    [InlineData("20151301T000000Z")]
    [InlineData("20150001T000000Z")]
    [InlineData("20150100T000000Z")]
    [InlineData("00000101T000000Z")]
    [InlineData("20150830T240000Z")]
    [InlineData("20150830T126000Z")]
    [InlineData("20150830T123660Z")]
    [InlineData("20150830t123600Z")]
    [InlineData("20150830T123600z")]
    [InlineData("20150830T123600")]
    [InlineData("20150830T1236000Z")]
    [InlineData("2015-08-30T12:36:00Z")]
    [InlineData("+0150830T123600Z")]
    [InlineData("２0150830T123600Z")]
    [InlineData("")]
    public void It_agrees_with_the_exact_parser(string text) => AssertAgrees(text);

    [Fact]
    public void It_agrees_with_the_exact_parser_one_edit_away_from_valid_dates()
    {
        var random = new Random(20261203);
        const string alphabet = "0123456789TZ +-:.tz\t٣";
        for (var i = 0; i < 20_000; i++)
        {
            var t = new DateTime(1, 1, 1).AddSeconds(random.NextInt64((long)(DateTime.MaxValue - DateTime.MinValue).TotalSeconds));
            var chars = t.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture).ToList();
            var at = random.Next(chars.Count + 1);
            switch (random.Next(4))
            {
                case 0: if (at < chars.Count) chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                case 1: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                case 2: if (at < chars.Count) chars.RemoveAt(at); break;
            }
            AssertAgrees(new string([.. chars]));
        }
    }

    private static void AssertAgrees(string text)
    {
        var expected = DateTimeOffset.TryParseExact(text, SigV4Canonical.DateFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var bclTime);
        var actual = SigV4Canonical.TryParseAmzDate(text, out var time);
        Assert.True(expected == actual, $"'{text}': exact parser {expected}, ours {actual}");
        if (expected) Assert.Equal(bclTime, time);
    }
}
