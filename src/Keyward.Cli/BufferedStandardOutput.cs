using System.Text;

namespace Keyward.Cli;

/// <summary>
/// Replaces <see cref="Console.Out"/> with a buffered writer flushed every <see cref="Interval"/> by a timer, and on
/// disposal (the process's exit path). Lines stay whole: the writer is synchronized, and a flush writes what whole
/// writes left in the buffer. A process killed with SIGKILL loses at most the last interval of log lines (the audit
/// log, not the console, is the durable record of requests).
/// </summary>
internal sealed class BufferedStandardOutput : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);
    private readonly TextWriter _writer;
    private readonly TextWriter _original;
    private readonly Timer _timer;

    private BufferedStandardOutput()
    {
        _original = Console.Out;
        var stream = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), bufferSize: 64 * 1024) { AutoFlush = false };
        _writer = TextWriter.Synchronized(stream);
        Console.SetOut(_writer);
        _timer = new Timer(_ => Flush(), null, Interval, Interval);
    }

    public static BufferedStandardOutput Install() => new();

    private void Flush()
    {
        try { _writer.Flush(); }
        catch (IOException) { } // a closed pipe: nothing to do for a log
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Flush();
        Console.SetOut(_original);
    }
}
