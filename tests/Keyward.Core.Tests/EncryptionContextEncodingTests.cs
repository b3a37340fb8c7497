using Keyward.Core.Crypto;

namespace Keyward.Core.Tests;

public sealed class EncryptionContextEncodingTests
{
    [Fact]
    public void Encoding_is_injective_where_concatenation_is_not()
    {
        var a = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["ab"] = "c" });
        var b = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["a"] = "bc" });
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Pair_order_does_not_matter_but_case_does()
    {
        var a = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" });
        var b = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" });
        var c = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["X"] = "1", ["y"] = "2" });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Absent_and_empty_contexts_are_the_same()
    {
        Assert.Equal(EncryptionContextEncoding.Encode(null), EncryptionContextEncoding.Encode(new Dictionary<string, string>()));
        Assert.Equal(new byte[] { 0, 0, 0, 0 }, EncryptionContextEncoding.Encode(null));
    }

    [Fact]
    public void Layout_is_count_then_length_prefixed_utf8_in_ordinal_key_order()
    {
        var bytes = EncryptionContextEncoding.Encode(new Dictionary<string, string> { ["b"] = "é", ["a"] = "" });
        Assert.Equal(new byte[] { 0, 0, 0, 2, 0, 0, 0, 1, (byte)'a', 0, 0, 0, 0, 0, 0, 0, 1, (byte)'b', 0, 0, 0, 2, 0xC3, 0xA9 }, bytes);
    }
}
