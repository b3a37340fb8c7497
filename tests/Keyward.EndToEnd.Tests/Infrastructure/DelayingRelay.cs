using System.Net;
using System.Net.Sockets;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a real server that holds back the bytes of its first
/// <c>slowConnections</c> connections by <c>delay</c> (a slow network or a slow proxy); later connections pass at once,
/// unless <see cref="EveryAnswerDelay"/> holds back every answer on every connection.
/// </summary>
internal sealed class DelayingRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private int _connections;

    public DelayingRelay(Uri target, TimeSpan delay, int slowConnections)
    {
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
        _accepting = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
                catch (OperationCanceledException) { return; }
                var slow = Interlocked.Increment(ref _connections) <= slowConnections;
                _ = Task.Run(() => RelayAsync(client, target, slow ? delay : TimeSpan.Zero));
            }
        });
    }

    public Uri Address { get; }

    /// <summary>Held back before every answer on every connection (changed at any time).</summary>
    public TimeSpan EveryAnswerDelay { get; set; }
    public int Connections => Volatile.Read(ref _connections);

    private async Task RelayAsync(TcpClient client, Uri target, TimeSpan delay)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(target.Host, target.Port, _stop.Token);
                var down = client.GetStream();
                var up = upstream.GetStream();
                // The request goes up at once; the answer comes back after the delay.
                var toServer = down.CopyToAsync(up, _stop.Token);
                var buffer = new byte[16384];
                int n;
                var first = true;
                while ((n = await up.ReadAsync(buffer, _stop.Token)) > 0)
                {
                    if (first && delay > TimeSpan.Zero) await Task.Delay(delay, _stop.Token);
                    if (EveryAnswerDelay > TimeSpan.Zero) await Task.Delay(EveryAnswerDelay, _stop.Token);
                    first = false;
                    await down.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                }
                await toServer;
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try { await _accepting; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
