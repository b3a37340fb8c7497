using System.Text;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Failover load: workers that each Encrypt a numbered message with one key and Decrypt it again (checking the
/// plaintext), through the AWS SDK for .NET, until stopped; every AWS error is recorded with its code and message.
/// </summary>
internal sealed class RoundTripLoad
{
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _done;

    private RoundTripLoad(ServerFixture server, string keyId, int workers) =>
        _workers = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            using var client = server.Client();
            for (var i = 0; !_stop.IsCancellationRequested; i++)
            {
                var text = $"worker {worker} request {i}";
                try
                {
                    var blob = (await client.EncryptAsync(new EncryptRequest { KeyId = keyId, Plaintext = new MemoryStream(Encoding.UTF8.GetBytes(text)) })).CiphertextBlob;
                    Assert.Equal(text, Encoding.UTF8.GetString((await client.DecryptAsync(new DecryptRequest { CiphertextBlob = blob })).Plaintext.ToArray()));
                    Interlocked.Increment(ref _done);
                }
                catch (AmazonKeyManagementServiceException e)
                {
                    lock (_failures) _failures.Add($"{e.ErrorCode}: {e.Message}");
                }
            }
        })).ToArray();

    public static RoundTripLoad Start(ServerFixture server, string keyId, int workers = 4) => new(server, keyId, workers);

    /// <summary>Waits until <paramref name="count"/> more round trips have succeeded.</summary>
    public Task WaitForMoreAsync(int count)
    {
        var mark = Volatile.Read(ref _done);
        return Eventually.WaitFor(() => Task.FromResult(Volatile.Read(ref _done) >= mark + count));
    }

    /// <summary>Stops the workers and returns every error they met.</summary>
    public async Task<IReadOnlyList<string>> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_workers);
        _stop.Dispose();
        lock (_failures) return [.. _failures];
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms for up to 20 s.</summary>
    public static async Task WaitFor(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await condition()) return;
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting");
    }

    /// <summary>Polls <paramref name="attempt"/> every 50 ms for up to 60 s until it gives a value.</summary>
    public static async Task<T> Value<T>(Func<Task<T?>> attempt) where T : class
    {
        for (var i = 0; i < 1200; i++)
        {
            if (await attempt() is { } value) return value;
            await Task.Delay(50);
        }
        Assert.Fail("timed out waiting");
        return null!;
    }
}
