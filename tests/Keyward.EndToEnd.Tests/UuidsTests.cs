using Keyward.Server.Dispatch;

namespace Keyward.EndToEnd.Tests;

/// <summary>Request and event ids: RFC 9562 version-4 UUIDs, distinct across refills of the per-thread pool.</summary>
public sealed class UuidsTests
{
    [Fact]
    public void Ids_are_version_4_uuids_and_distinct()
    {
        var ids = Enumerable.Range(0, 2000).Select(_ => Uuids.New().ToString("D")).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", id));
        Assert.True(ids.Select(id => id[0]).Distinct().Count() > 8, "ids are random, not sequential");
    }
}
