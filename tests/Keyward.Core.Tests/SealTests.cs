using Keyward.Core.Seal;

namespace Keyward.Core.Tests;

public sealed class SealTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-seal").FullName;

    [Fact]
    public void File_seal_is_created_owner_only_and_reopens_with_the_same_key()
    {
        var path = Path.Combine(_dir, "root.key");
        byte[] check;
        using (var seal = FileSeal.Open(path, create: true)) check = new RootKeyBarrier(seal).CreateCheckValue();
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        using var again = FileSeal.Open(path, create: false);
        Assert.True(new RootKeyBarrier(again).Verify(check));
    }

    [Fact]
    public void A_missing_seal_is_not_silently_replaced()
    {
        var e = Assert.Throws<SealException>(() => FileSeal.Open(Path.Combine(_dir, "absent.key"), create: false));
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void Another_root_key_fails_the_check()
    {
        using var one = FileSeal.Open(Path.Combine(_dir, "one.key"), create: true);
        using var two = FileSeal.Open(Path.Combine(_dir, "two.key"), create: true);
        Assert.False(new RootKeyBarrier(two).Verify(new RootKeyBarrier(one).CreateCheckValue()));
    }

    [Fact]
    public void Barrier_binds_the_row_identity()
    {
        using var seal = FileSeal.Open(Path.Combine(_dir, "b.key"), create: true);
        var barrier = new RootKeyBarrier(seal);
        var wrapped = barrier.Wrap([1, 2, 3], "key-material", "k1/m1");
        var output = new byte[RootKeyBarrier.UnwrappedSize(wrapped)];
        Assert.True(barrier.TryUnwrap(wrapped, "key-material", "k1/m1", output));
        Assert.Equal(new byte[] { 1, 2, 3 }, output);
        Assert.False(barrier.TryUnwrap(wrapped, "key-material", "k2/m1", output));
        Assert.False(barrier.TryUnwrap(wrapped, "import-key", "k1/m1", output));
    }

    [Fact]
    public void A_damaged_seal_file_is_refused()
    {
        var path = Path.Combine(_dir, "bad.key");
        File.WriteAllText(path, "keyward-file-seal v1\nnot-base64\n");
        Assert.Throws<SealException>(() => FileSeal.Open(path, create: false));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
