using Keyward.Core.Keys;

namespace Keyward.Core.Tests;

public sealed class SharedStringsTests
{
    [Fact]
    public void Equal_values_become_one_instance()
    {
        var policy = "{\"Version\":\"2012-10-17\",\"Id\":\"shared-strings-test\"}";
        var first = SharedStrings.Of(new string(policy.AsSpan()));
        var second = SharedStrings.Of(new string(policy.AsSpan()));
        Assert.Equal(policy, first);
        Assert.Same(first, second);
        Assert.Same(string.Empty, SharedStrings.Of(new string([])));
    }

    [Fact]
    public void A_value_longer_than_the_bound_is_kept_as_it_came()
    {
        var text = new string('p', SharedStrings.MaxLength + 1);
        var copy = new string(text.AsSpan());
        Assert.Same(text, SharedStrings.Of(text));
        Assert.Same(copy, SharedStrings.Of(copy));
    }
}
