using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace Keyward.Bench;

/// <remarks>
/// The generator must cost little next to the server on these 2 cores, or its own delays are measured (as wrk2 does,
/// and as an HttpClient generator did not: it cost more CPU per request than the server). So one thread sends one
/// request's bytes, built once, over plain non-blocking sockets, and waits in <c>epoll_wait</c> for the next due
/// instant (a <c>timerfd</c>, to the nanosecond) or an answer. Nothing is allocated per request. Request i is due at
/// i / rate and goes on connection i mod <c>connections</c>; when that connection is still busy at the due instant,
/// the request waits for it and the wait counts in its latency.
/// </remarks>
internal static partial class OpenLoop
{
    public static Result Run(string host, int port, byte[] request, int rate, TimeSpan duration, int connections)
    {
        var total = (long)(rate * duration.TotalSeconds);
        using var loop = new SocketLoop(host, port, request, connections, rate, total);
        loop.Run();
        var latencies = loop.Latencies;
        if (Environment.GetEnvironmentVariable("KEYWARD_OPENLOOP_TRACE") is { Length: > 0 } trace)
            WriteTrace(trace, loop);
        Array.Sort(latencies);
        return new(total, total / loop.Seconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
            Percentile(latencies, 0.999), latencies.Length == 0 ? 0 : latencies[^1], loop.Errors,
            latencies.Count(l => l > 250));
    }

    /// <summary>
    /// For placing stalls: each request's due instant (CLOCK_MONOTONIC, ns) and latency (ms), one per line, so they can
    /// be laid beside a server-side trace (<c>perf sched</c> with <c>-k CLOCK_MONOTONIC</c>) of the same run.
    /// </summary>
    private static void WriteTrace(string path, SocketLoop loop)
    {
        using var writer = new StreamWriter(path);
        for (var i = 0; i < loop.Latencies.Length; i++) writer.WriteLine($"{loop.Due(i)} {loop.Latencies[i]:F3}");
    }

    /// <summary>The bytes of an HTTP/1.1 request: <paramref name="message"/>'s method, headers and body.</summary>
    public static byte[] Serialize(HttpRequestMessage message, string host, int port, byte[] body)
    {
        var text = new StringBuilder($"{message.Method} {message.RequestUri} HTTP/1.1\r\nHost: {host}:{port}\r\n");
        foreach (var (name, values) in message.Headers) text.Append($"{name}: {string.Join(",", values)}\r\n");
        foreach (var (name, values) in message.Content!.Headers) text.Append($"{name}: {string.Join(",", values)}\r\n");
        text.Append($"Content-Length: {body.Length}\r\n\r\n");
        return [.. Encoding.ASCII.GetBytes(text.ToString()), .. body];
    }

    private sealed class SocketLoop : IDisposable
    {
        private const ulong TimerToken = ulong.MaxValue;
        private readonly string _host;
        private readonly int _port;
        private readonly byte[] _request;
        private readonly Connection[] _connections;
        private readonly long _total;
        private readonly double _nanosPerRequest;
        private readonly int _epoll;
        private readonly int _timer;
        private readonly byte[] _expirations = new byte[8];
        private long _origin;
        private long _armed = -1;
        private long _done;

        public SocketLoop(string host, int port, byte[] request, int connections, int rate, long total)
        {
            (_host, _port, _request, _total) = (host, port, request, total);
            _nanosPerRequest = 1e9 / rate;
            _connections = Enumerable.Range(0, connections).Select(_ => new Connection()).ToArray();
            Latencies = new double[total];
            _epoll = Check(Native.epoll_create1(Native.EPOLL_CLOEXEC), "epoll_create1");
            _timer = Check(Native.timerfd_create(Native.CLOCK_MONOTONIC, Native.TFD_NONBLOCK | Native.TFD_CLOEXEC),
                "timerfd_create");
            Watch(_timer, TimerToken);
        }

        public double[] Latencies { get; }
        public long Errors { get; private set; }
        public double Seconds { get; private set; }

        public void Run()
        {
            for (var c = 0; c < _connections.Length; c++) Open(c); // every connection is open before the first is due
            _origin = Native.Now() + 1_000_000;
            var events = new Native.EpollEvent[64];
            long next = 0;
            while (_done < _total)
            {
                var now = Native.Now();
                for (; next < _total && Due(next) <= now; next++) Issue(next);
                if (next < _total) Arm(Due(next));
                var n = Native.epoll_wait(_epoll, events, events.Length, 30_000);
                if (n < 0 && Marshal.GetLastPInvokeError() == Native.EINTR) continue;
                Check(n, "epoll_wait");
                if (n == 0 && next == _total) { Abandon(); break; } // 30 s without an answer: the rest are errors
                for (var e = 0; e < n; e++)
                {
                    if (events[e].Data == TimerToken) Native.read(_timer, _expirations, 8);
                    else Readable((int)events[e].Data);
                }
            }
            Seconds = (Native.Now() - _origin) / 1e9;
        }

        /// <summary>Request <paramref name="index"/>'s due instant, CLOCK_MONOTONIC in nanoseconds.</summary>
        public long Due(long index) => _origin + (long)(index * _nanosPerRequest);

        private void Issue(long index)
        {
            var c = _connections[index % _connections.Length];
            if (c.InFlight >= 0) c.Waiting++;
            else Send((int)(index % _connections.Length), index);
        }

        private void Send(int c, long index)
        {
            var connection = _connections[c];
            connection.InFlight = index;
            connection.Reset();
            try
            {
                if (connection.Socket is null) Open(c);
                for (var sent = 0; sent < _request.Length;)
                {
                    var n = connection.Socket!.Send(_request.AsSpan(sent), SocketFlags.None, out var error);
                    if (error is SocketError.WouldBlock) continue; // a send buffer of one request is never full for long
                    if (error is not SocketError.Success) throw new SocketException((int)error);
                    sent += n;
                }
            }
            catch (SocketException)
            {
                Fail(c);
            }
        }

        private void Readable(int c)
        {
            var connection = _connections[c];
            while (connection.Socket is not null)
            {
                var n = connection.Socket.Receive(connection.Unread, SocketFlags.None, out var error);
                if (error is SocketError.WouldBlock) return;
                if (error is not SocketError.Success || n == 0 || connection.InFlight < 0) { Fail(c); return; }
                switch (connection.Take(n))
                {
                    case Answer.Partial: continue;
                    case Answer.Malformed: Fail(c); return;
                    case var answer: Complete(c, answer == Answer.Ok); return;
                }
            }
        }

        private void Complete(int c, bool ok)
        {
            var connection = _connections[c];
            if (!ok) Errors++;
            Record(connection.InFlight);
            if (connection.Close) Drop(c);
            Following(c);
        }

        private void Fail(int c)
        {
            var connection = _connections[c];
            Drop(c);
            if (connection.InFlight < 0) return; // a close between answers is not a request's failure
            Errors++;
            Record(connection.InFlight);
            Following(c);
        }

        private void Following(int c)
        {
            var connection = _connections[c];
            var current = connection.InFlight;
            connection.InFlight = -1;
            if (connection.Waiting == 0) return;
            connection.Waiting--;
            Send(c, current + _connections.Length);
        }

        private void Record(long index)
        {
            Latencies[index] = (Native.Now() - Due(index)) / 1e6;
            _done++;
        }

        private void Abandon()
        {
            foreach (var connection in _connections)
            {
                if (connection.InFlight < 0) continue;
                var remaining = 1 + connection.Waiting;
                Errors += remaining;
                for (var k = 0; k < remaining; k++) Record(connection.InFlight + k * (long)_connections.Length);
            }
        }

        private void Open(int c)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Connect(_host, _port);
                socket.Blocking = false;
                Watch((int)socket.Handle, (ulong)c);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _connections[c].Socket = socket;
        }

        private void Drop(int c)
        {
            var connection = _connections[c];
            if (connection.Socket is null) return;
            Native.epoll_ctl(_epoll, Native.EPOLL_CTL_DEL, (int)connection.Socket.Handle, IntPtr.Zero);
            connection.Socket.Dispose();
            connection.Socket = null;
        }

        private void Watch(int fd, ulong token)
        {
            var ev = new Native.EpollEvent { Events = Native.EPOLLIN, Data = token };
            Check(Native.epoll_ctl(_epoll, Native.EPOLL_CTL_ADD, fd, ref ev), "epoll_ctl");
        }

        private void Arm(long at)
        {
            if (at == _armed) return;
            _armed = at;
            var spec = new Native.ITimerSpec { ValueSeconds = at / 1_000_000_000, ValueNanos = at % 1_000_000_000 };
            Check(Native.timerfd_settime(_timer, Native.TFD_TIMER_ABSTIME, ref spec, IntPtr.Zero), "timerfd_settime");
        }

        private static int Check(int result, string call) =>
            result >= 0 ? result : throw new SocketException(Marshal.GetLastPInvokeError(), call);

        public void Dispose()
        {
            for (var c = 0; c < _connections.Length; c++) Drop(c);
            Native.close(_timer);
            Native.close(_epoll);
        }
    }

    private enum Answer { Partial, Ok, NotOk, Malformed }

    /// <summary>
    /// One connection's answer as it arrives: the status line and headers into a buffer, then a body of Content-Length
    /// bytes (both servers measured send one), read over and not kept. Requests are not pipelined.
    /// </summary>
    private sealed class Connection
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _filled;
        private long _bodyLeft = -1;
        private bool _ok;

        public Socket? Socket { get; set; }
        public long InFlight { get; set; } = -1;
        public long Waiting { get; set; }
        public bool Close { get; private set; }
        public Span<byte> Unread => _bodyLeft < 0 ? _buffer.AsSpan(_filled) : _buffer;

        public void Reset() => (_filled, _bodyLeft, _ok, Close) = (0, -1, false, false);

        public Answer Take(int received)
        {
            if (_bodyLeft >= 0) return (_bodyLeft -= received) switch { > 0 => Answer.Partial, 0 => Done(), _ => Answer.Malformed };
            _filled += received;
            var end = _buffer.AsSpan(0, _filled).IndexOf("\r\n\r\n"u8);
            if (end < 0) return _filled == _buffer.Length ? Answer.Malformed : Answer.Partial;
            var headers = Encoding.ASCII.GetString(_buffer, 0, end);
            _ok = headers.StartsWith("HTTP/1.1 200 ", StringComparison.Ordinal);
            Close = headers.Contains("\r\nConnection: close", StringComparison.OrdinalIgnoreCase);
            var at = headers.IndexOf("\r\nContent-Length:", StringComparison.OrdinalIgnoreCase);
            if (at < 0) return Answer.Malformed;
            var stop = headers.IndexOf('\r', at + 2);
            var value = headers.AsSpan(at + 17, (stop < 0 ? headers.Length : stop) - at - 17).Trim();
            if (!int.TryParse(value, out var length)) return Answer.Malformed;
            _bodyLeft = length - (_filled - end - 4);
            return _bodyLeft switch { > 0 => Answer.Partial, 0 => Done(), _ => Answer.Malformed };
        }

        private Answer Done() => _ok ? Answer.Ok : Answer.NotOk;
    }

    private static class Native
    {
        public const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EINTR = 4;
        public const uint EPOLLIN = 1;
        public const int CLOCK_MONOTONIC = 1, TFD_NONBLOCK = 0x800, TFD_CLOEXEC = 0x80000, TFD_TIMER_ABSTIME = 1;

        /// <summary>struct epoll_event, packed on x86-64: a 32-bit mask, then 64 bits of data.</summary>
        [StructLayout(LayoutKind.Sequential, Pack = 4)]
        public struct EpollEvent { public uint Events; public ulong Data; }

        [StructLayout(LayoutKind.Sequential)]
        public struct ITimerSpec { public long IntervalSeconds, IntervalNanos, ValueSeconds, ValueNanos; }

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec { public long Seconds, Nanos; }

        [DllImport("libc", SetLastError = true)] public static extern int epoll_create1(int flags);
        [DllImport("libc", SetLastError = true)] public static extern int epoll_ctl(int epfd, int op, int fd, ref EpollEvent ev);
        [DllImport("libc", SetLastError = true)] public static extern int epoll_ctl(int epfd, int op, int fd, IntPtr ev);
        [DllImport("libc", SetLastError = true)]
        public static extern int epoll_wait(int epfd, [Out] EpollEvent[] events, int max, int timeoutMs);
        [DllImport("libc", SetLastError = true)] public static extern int timerfd_create(int clock, int flags);
        [DllImport("libc", SetLastError = true)]
        public static extern int timerfd_settime(int fd, int flags, ref ITimerSpec value, IntPtr old);
        [DllImport("libc")] public static extern nint read(int fd, byte[] buffer, nint count);
        [DllImport("libc")] public static extern int close(int fd);
        [DllImport("libc")] private static extern int clock_gettime(int clock, out TimeSpec time);

        /// <summary>CLOCK_MONOTONIC in nanoseconds, the timer's clock.</summary>
        public static long Now()
        {
            clock_gettime(CLOCK_MONOTONIC, out var t);
            return t.Seconds * 1_000_000_000 + t.Nanos;
        }
    }
}
