using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Keyward.Core.Audit;

/// <summary>
/// The node-local, append-only journal that makes the audit log fail closed: a request's event is appended here
/// (and reaches the operating system's page cache) before its response is sent; <see cref="AuditLog"/> then moves
/// journal entries into the database's hash chain in the background.
/// One line per event, tab-separated: time (Unix ms), event name, event id, request id, principal ARN,
/// key ARNs (space-separated), used-key flag, event JSON (which holds no raw tab, newline or NUL). The first
/// line names the journal ("keyward-audit-journal 1 &lt;id&gt;"); the database remembers, per journal id,
/// the offset up to which entries are in the chain, in the same transaction as the entries.
/// <para>
/// Appends are a copy into a shared memory mapping of the file, not a write(): the pages are the page cache's, so
/// an entry survives the process as a written one does, without a system call (or its lock contention) per request.
/// The file is extended ahead of the data with zeros; the data ends at the last newline before the first NUL byte.
/// At open, anything after that (an entry a crash cut short) is cut off, and a clean close truncates the zeros.
/// </para>
/// <para>
/// A store through a mapping into a file hole that the disk has no room for would kill the process (SIGBUS) instead of
/// failing one request. So the mapping is only ever written where the file already has its blocks: zeros are written
/// with write() a few MiB ahead of the data (<see cref="Reserve"/>), and a full disk fails that write, and the
/// requests, as a full disk failed a plain append.
/// </para>
/// <para>
/// Pages of the mapping that the indexer has moved into the database are handed back to the page cache
/// (<see cref="Release"/>, madvise MADV_DONTNEED: the data stays in the file), so the journal does not grow the
/// process's resident memory by up to its capacity.
/// </para>
/// </summary>
public sealed unsafe class AuditJournal : IDisposable
{
    private const string Magic = "keyward-audit-journal 1 ";
    private const long MinimumCapacity = 1L << 20;
    private readonly string _path;
    private readonly long _initialCapacity;
    // The writer's mapping, opened at the first append. The path is checked about once a second, so a journal that
    // was removed or replaced makes appends fail within a second rather than writing to a lost file.
    private FileStream? _file;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _base;
    private long _capacity;
    private long _end;
    // The file's blocks are written (zeros ahead of the data) up to here; the mapping is never written beyond it.
    private long _reserved;
    private const int ReserveStep = 4 << 20;
    // Guards the mapping against Release, which the indexer calls (taken inside the append lock, never around it).
    private readonly Lock _mapping = new();
    private long _released;
    private static readonly byte[] Zeros = new byte[1 << 20];
    private long _checkedAt;
    // Set when the journal now at the path was a spare (PrepareNext): it is zeros, written and flushed, from its data
    // end up to here, so the first OpenWriter keeps those blocks instead of cutting them off and writing them again.
    private long _zeroedTo;
    private long _nextZeroedTo;

    public string Id { get; private set; }
    public long HeaderLength { get; private set; }

    /// <param name="capacity">How far ahead of the data the file is extended (more when an append needs it).</param>
    public AuditJournal(string path, long capacity = 128L << 20)
    {
        _path = path;
        _initialCapacity = Math.Max(capacity, MinimumCapacity);
        if (!File.Exists(path)) Create(path);
        (Id, HeaderLength, _end) = Inspect(path);
    }

    public string FilePath => _path;

    /// <summary>Where the journal's data ends (entries appended by this process included).</summary>
    public long Length => Volatile.Read(ref _end);

    /// <summary>
    /// Appends whole lines (the caller serializes appends); throws if the journal cannot be written (the requests then
    /// fail). The bytes are copied before the new end is published, so a reader never sees part of a line.
    /// </summary>
    public void Append(ReadOnlySpan<byte> lines)
    {
        var now = Environment.TickCount64;
        if (now - _checkedAt > 1000)
        {
            _checkedAt = now;
            if (!File.Exists(_path)) CloseWriter();
        }
        try
        {
            if (_view is null) OpenWriter(Inspect(_path).End, _initialCapacity);
            var end = _end;
            if (end + lines.Length > _capacity)
            {
                CloseWriter();
                OpenWriter(end, Math.Max(_capacity * 2, end + lines.Length + _initialCapacity));
            }
            if (end + lines.Length > _reserved) Reserve(end + lines.Length);
            lines.CopyTo(new Span<byte>(_base + end, lines.Length));
            Volatile.Write(ref _end, end + lines.Length);
        }
        catch
        {
            CloseWriter();
            throw;
        }
    }

    /// <summary>Maps the file for appends at <paramref name="end"/>: whatever follows it is cut off, then zeros up to the capacity.</summary>
    private void OpenWriter(long end, long capacity)
    {
        var file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        var zeroed = _zeroedTo;
        _zeroedTo = 0;
        try
        {
            // What follows the data is cut off (an entry a crash cut short must not be read after the next one), unless
            // it is known to be zeros.
            if (zeroed <= end) file.SetLength(end);
            file.SetLength(capacity);
            _map = MemoryMappedFile.CreateFromFile(file, null, capacity, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
            _view = _map.CreateViewAccessor(0, capacity, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            lock (_mapping)
            {
                _base = pointer + _view.PointerOffset;
                _file = file;
                _capacity = capacity;
                _reserved = Math.Clamp(zeroed, end, capacity);
                _released = 0;
                Volatile.Write(ref _end, end);
            }
        }
        catch
        {
            CloseWriter();
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes zeros (with write(), so the file system allocates their blocks or reports a full disk) from the reserved
    /// end to at least <paramref name="needed"/> and a step further, within the mapping. Throws IOException when the
    /// disk is full; nothing is then written through the mapping.
    /// </summary>
    private void Reserve(long needed)
    {
        var step = Math.Min(Math.Max(needed, _reserved + ReserveStep), _capacity);
        try { WriteZeros(step); }
        // A nearly full disk may still hold this entry: then only what it needs.
        catch (IOException) when (step > needed) { WriteZeros(needed); }
    }

    private void WriteZeros(long target)
    {
        var handle = _file!.SafeFileHandle;
        for (var at = _reserved; at < target; at += Zeros.Length)
            RandomAccess.Write(handle, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, target - at)), at);
        _reserved = target;
    }

    /// <summary>
    /// Hands the mapping's pages below <paramref name="indexed"/> (entries already in the database) back to the page
    /// cache: their data stays in the file, and the process's resident memory no longer counts them.
    /// </summary>
    public void Release(long indexed)
    {
        if (!OperatingSystem.IsLinux()) return;
        lock (_mapping)
        {
            if (_base is null) return;
            var end = Math.Min(indexed, Volatile.Read(ref _end)) & ~(PageSize - 1);
            if (end - _released < ReleaseStep) return;
            if (Madvise(_base + _released, (nuint)(end - _released), MadviseDontNeed) == 0) _released = end;
        }
    }

    private static readonly long PageSize = Environment.SystemPageSize;
    private const long ReleaseStep = 1 << 20;
    private const int MadviseDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static extern int Madvise(byte* address, nuint length, int advice);

    /// <summary>Unmaps the file and cuts the zeros after the data off.</summary>
    private void CloseWriter() => Detach().Dispose();

    /// <summary>Takes the writer (mapping and file) out of this journal; appends open a new one. Closing it is the caller's.</summary>
    private Writer Detach()
    {
        lock (_mapping)
        {
            var writer = new Writer(_view, _map, _file, Volatile.Read(ref _end));
            (_view, _map, _file, _capacity, _reserved) = (null, null, null, 0, 0);
            _base = null;
            return writer;
        }
    }

    /// <summary>
    /// A journal's writer once detached. Closing it flushes the whole mapping (the view's Dispose is an msync of every
    /// dirty page, tens of milliseconds for a full journal), so a retired journal's writer is closed outside the
    /// append lock: under it, that flush held every request for its duration.
    /// </summary>
    public sealed class Writer(MemoryMappedViewAccessor? view, MemoryMappedFile? map, FileStream? file, long end) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            if (view is not null)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
            }
            map?.Dispose();
            if (file is null) return;
            try { file.SetLength(end); } catch (IOException) { }
            file.Dispose();
        }
    }

    public void Dispose() => CloseWriter();

    /// <summary>Complete entries from <paramref name="offset"/>, at most <paramref name="max"/>, and the offset after them.</summary>
    public JournalRead Read(long offset, int max)
    {
        byte[]? buffer = null;
        return Read(offset, max, ref buffer);
    }

    /// <summary>
    /// What one read found: the well-formed entries, the offset after them, and the lines that are not entries
    /// (<see cref="WellFormed"/>: a journal edited, damaged on disk, or written by two processes at once), each with its
    /// offset. The indexer keeps those aside and reports them; they never stop the entries after them.
    /// </summary>
    public readonly record struct JournalRead(IReadOnlyList<AuditEvent> Events, long End, IReadOnlyList<(long Offset, ReadOnlyMemory<byte> Line)> Rejected)
    {
        public void Deconstruct(out IReadOnlyList<AuditEvent> events, out long end) => (events, end) = (Events, End);
    }

    /// <summary>
    /// Like <see cref="Read(long, int)"/>, into a buffer the caller keeps for its next reads (the indexer's; grown here
    /// when too small): the events lie in it, so they are valid until the caller's next read.
    /// </summary>
    public JournalRead Read(long offset, int max, ref byte[]? buffer)
    {
        var position = Math.Max(offset, HeaderLength);
        // One read of what is there (bounded; the page cache holds what the mapping wrote), then split at newlines.
        var available = (int)Math.Min(Length - position, 8L << 20);
        if (available <= 0) return new(JournalEntries.Empty, position, []);
        if (buffer is null || buffer.Length < available) buffer = new byte[Math.Max(available, Math.Min(2 * (buffer?.Length ?? 0), 8 << 20))];
        using var stream = new FileStream(_path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        stream.Position = position;
        stream.ReadExactly(buffer.AsSpan(0, available));
        var entries = new JournalEntries(buffer);
        List<(long, ReadOnlyMemory<byte>)>? rejected = null;
        var start = 0;
        while (entries.Count < max)
        {
            var newline = buffer.AsSpan(start, available - start).IndexOf((byte)'\n');
            if (newline < 0) break;
            if (WellFormed(buffer.AsSpan(start, newline))) entries.Add(start, newline);
            else (rejected ??= []).Add((position + start, buffer.AsMemory(start, newline)));
            start += newline + 1;
        }
        return new(entries, position + start, rejected ?? (IReadOnlyList<(long, ReadOnlyMemory<byte>)>)[]);
    }

    /// <summary>
    /// Whether a line is an entry <see cref="Parse"/> reads: eight tab-separated fields of valid UTF-8, a time in
    /// Unix milliseconds, a used-key flag, and one JSON object as the last field. Checked once per entry by the
    /// indexer (a pass of the reader over the JSON, without allocating), so nothing malformed reaches the database.
    /// </summary>
    public static bool WellFormed(ReadOnlySpan<byte> line)
    {
        Span<int> starts = stackalloc int[FieldCount + 1];
        if (!Utf8.IsValid(line) || !TrySplit(line, starts)) return false;
        var time = Field(line, starts, 0);
        if (!Utf8Parser.TryParse(time, out long ms, out var used) || used != time.Length
            || ms < DateTimeOffset.MinValue.ToUnixTimeMilliseconds() || ms > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds()) return false;
        var usedKey = Field(line, starts, 6);
        if (!usedKey.SequenceEqual("0"u8) && !usedKey.SequenceEqual("1"u8)) return false;
        if (Field(line, starts, 1).IsEmpty) return false; // an event name
        var json = Field(line, starts, 7);
        if (json.IsEmpty || json[0] != (byte)'{') return false;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
            while (reader.Read()) { }
            return true;
        }
        catch (JsonException) { return false; }
    }

    /// <summary>
    /// Entries read from a journal, parsed when they are read (<see cref="Parse"/>). Under load a batch holds thousands
    /// of events and lives through a database commit: parsed all at once, they survived collections and churned the
    /// collector's memory, which the request threads paid for in page faults. Read in order, an event whose principal
    /// or key ARNs equal the previous one's shares its strings.
    /// </summary>
    private sealed class JournalEntries(byte[] buffer) : IReadOnlyList<AuditEvent>
    {
        public static readonly JournalEntries Empty = new([]);
        private readonly List<(int Start, int Length)> _lines = [];
        private (int Index, AuditEvent Event)? _last;

        public void Add(int start, int length) => _lines.Add((start, length));

        public int Count => _lines.Count;

        public AuditEvent this[int index]
        {
            get
            {
                if (_last is { } last && last.Index == index) return last.Event;
                var (start, length) = _lines[index];
                var e = Parse(buffer.AsMemory(start, length), _last is { } p && p.Index == index - 1 ? p.Event : null);
                _last = (index, e);
                return e;
            }
        }

        public IEnumerator<AuditEvent> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Creates the next journal beside this one (<c>&lt;path&gt;.next</c>, its header flushed to disk) for
    /// <see cref="Retire"/>, from the spare when there is one, with zeros written (and their blocks allocated) through
    /// <paramref name="size"/> or the spare's length; outside the append lock, since the zeros and the flush take
    /// time. Appends into them then need no zeros of their own written under the lock.
    /// </summary>
    public string PrepareNext(long size = 0)
    {
        var next = _path + ".next";
        _nextZeroedTo = 0;
        var spare = SparePath(_path);
        var reused = false;
        if (File.Exists(spare))
        {
            try
            {
                File.Move(spare, next, overwrite: true);
                reused = true;
            }
            catch (IOException) { }
        }
        if (!reused) Create(next);
        _nextZeroedTo = Zero(next, size, reused);
        return next;
    }

    /// <summary>
    /// Where a retired journal, once indexed, waits to become the next one (<see cref="Spare"/>). Reusing its file
    /// spares the next journal's first appends from filling a new file's blocks: into a hole, ext4 takes about 20 µs a
    /// page to write (4 MiB of zeros in 15–37 ms on the machines measured) against 0.5 ms for 4 MiB into the page
    /// cache's pages of a file already written.
    /// </summary>
    public static string SparePath(string path) => path + ".spare";

    /// <summary>
    /// Keeps <paramref name="retired"/> (fully indexed: its entries are in the database) as this journal's spare
    /// instead of deleting it. Its entries stay in it until <see cref="PrepareNext"/> writes zeros over them; the file
    /// is the owner's only, as the journal always is.
    /// </summary>
    public void Spare(AuditJournal retired)
    {
        retired.CloseWriter();
        try { File.Move(retired._path, SparePath(_path), overwrite: true); }
        catch (IOException) { File.Delete(retired._path); }
    }

    /// <summary>
    /// Writes zeros after the header of the journal file at <paramref name="next"/>, through <paramref name="size"/>
    /// and through its whole length when it is a spare (over its old entries, with a new header), then flushes it to
    /// disk: it must hold no old entry before it can be retired to, or one could reappear after a crash. Returns
    /// where the zeros end.
    /// </summary>
    private static long Zero(string next, long size, bool spare)
    {
        using var stream = new FileStream(next, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        var handle = stream.SafeFileHandle;
        var from = spare ? 0 : stream.Length;
        var to = Math.Max(size, spare ? stream.Length : 0);
        for (var at = from; at < to; at += Zeros.Length)
            RandomAccess.Write(handle, Zeros.AsSpan(0, (int)Math.Min(Zeros.Length, to - at)), at);
        if (spare) RandomAccess.Write(handle, Header(), 0);
        stream.Flush(flushToDisk: true);
        return stream.Length;
    }

    /// <summary>
    /// Under the caller's append lock: moves this journal to <c>&lt;path&gt;.&lt;old id&gt;</c> (returned; the indexer
    /// finishes it there and then keeps it as the spare) and the prepared <paramref name="next"/> to this path, so appends go on
    /// in the new one. Only renames happen here; the old writer is returned to be closed after the lock is released.
    /// A crash between the two renames leaves no journal at the path; the next start creates one.
    /// </summary>
    public (string Retired, Writer Writer) Retire(string next)
    {
        var writer = Detach();
        var retired = RetiredPath(_path, Id);
        try
        {
            File.Move(_path, retired);
            File.Move(next, _path);
            (Id, HeaderLength, var end) = Inspect(_path);
            Volatile.Write(ref _end, end);
            _zeroedTo = _nextZeroedTo;
            _nextZeroedTo = 0;
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        return (retired, writer);
    }

    public static string RetiredPath(string path, string id) => $"{path}.{id}";

    /// <summary>
    /// Journals retired next to <paramref name="path"/> and not yet fully indexed (those that are become the spare).
    /// There is at most one: the current journal is retired only after the previous retired one is indexed.
    /// </summary>
    public static IEnumerable<string> Retired(string path)
    {
        // Filtered by hand: .NET's "name.*" pattern also matches "name" itself.
        var full = Path.GetFullPath(path);
        var prefix = full + ".";
        return Directory.EnumerateFiles(Path.GetDirectoryName(full)!)
            .Where(f => f.StartsWith(prefix, StringComparison.Ordinal) && f.Length == prefix.Length + 32)
            .Order(StringComparer.Ordinal);
    }

    /// <summary>The journal line of <paramref name="e"/>, newline included.</summary>
    public static byte[] Format(AuditEvent e)
    {
        var line = new ArrayBufferWriter<byte>(256 + e.Json.Length);
        WriteHead(line, e.EventTime, e.EventName, e.EventId, e.RequestId, e.PrincipalArn, e.KeyArns, e.UsedKey);
        line.Write(e.Json.Span);
        line.Write("\n"u8);
        return line.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Writes the fields before the event JSON (each followed by a tab); the caller then writes the JSON, which must
    /// hold no raw tab or newline (JSON text escapes both), and a newline.
    /// </summary>
    public static void WriteHead(IBufferWriter<byte> line, DateTimeOffset time, string eventName, ReadOnlySpan<char> eventId, string requestId,
        string principalArn, IReadOnlyList<string> keyArns, bool usedKey)
    {
        Utf8Formatter.TryFormat(time.ToUnixTimeMilliseconds(), line.GetSpan(20), out var n);
        line.Advance(n);
        Field(line, "\t"u8, eventName);
        Field(line, "\t"u8, eventId);
        Field(line, "\t"u8, requestId);
        Field(line, "\t"u8, principalArn);
        line.Write("\t"u8);
        for (var i = 0; i < keyArns.Count; i++) Field(line, i == 0 ? ""u8 : " "u8, keyArns[i]);
        line.Write(usedKey ? "\t1\t"u8 : "\t0\t"u8);
    }

    private static void Field(IBufferWriter<byte> line, ReadOnlySpan<byte> separator, ReadOnlySpan<char> value)
    {
        line.Write(separator);
        var n = Encoding.UTF8.GetBytes(value, line.GetSpan(Encoding.UTF8.GetMaxByteCount(value.Length)));
        line.Advance(n);
    }

    private static AuditEvent Parse(ReadOnlyMemory<byte> entry, AuditEvent? previous)
    {
        var line = entry.Span;
        Span<int> starts = stackalloc int[FieldCount + 1];
        if (!TrySplit(line, starts)) throw new InvalidDataException("A malformed audit journal entry.");
        var principal = Field(line, starts, 4);
        var keys = Field(line, starts, 5);
        return new AuditEvent(DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(Field(line, starts, 0), CultureInfo.InvariantCulture)),
            EventName(Field(line, starts, 1)), Text(line, starts, 2), Text(line, starts, 3),
            previous is not null && Same(principal, previous.PrincipalArn) ? previous.PrincipalArn : Encoding.UTF8.GetString(principal),
            keys.IsEmpty ? [] : previous is not null && SameKeys(keys, previous.KeyArns) ? previous.KeyArns : Encoding.UTF8.GetString(keys).Split(' '),
            Field(line, starts, 6).SequenceEqual("1"u8), entry[starts[7]..]);
    }

    private const int FieldCount = 8;

    /// <summary>
    /// Where each of the eight fields starts (and, past the last, the line's length + 1), for <see cref="Field"/>: seven
    /// tabs separate them, and the last (the JSON) holds no raw tab. False when the line has fewer tabs.
    /// </summary>
    private static bool TrySplit(ReadOnlySpan<byte> line, Span<int> starts)
    {
        var at = 0;
        for (var i = 0; i < FieldCount - 1; i++)
        {
            var tab = line[at..].IndexOf((byte)'\t');
            if (tab < 0) return false;
            starts[i] = at;
            at += tab + 1;
        }
        starts[FieldCount - 1] = at;
        starts[FieldCount] = line.Length + 1;
        return true;
    }

    private static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> line, ReadOnlySpan<int> starts, int i) => line[starts[i]..(starts[i + 1] - 1)];

    private static string Text(ReadOnlySpan<byte> line, ReadOnlySpan<int> starts, int i) => Encoding.UTF8.GetString(Field(line, starts, i));

    // Event names are operation names: one string each, not one per event.
    private static string EventName(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = stackalloc char[64];
        return utf8.Length <= chars.Length && Ascii.ToUtf16(utf8, chars, out var n) == OperationStatus.Done
            && Keyward.Protocol.KmsOperationNames.TryIntern(chars[..n], out var name) ? name : Encoding.UTF8.GetString(utf8);
    }

    /// <summary>Whether UTF-8 <paramref name="utf8"/> spells <paramref name="text"/> (ASCII compared directly; otherwise decoded).</summary>
    private static bool Same(ReadOnlySpan<byte> utf8, string text) =>
        Ascii.IsValid(utf8) ? utf8.Length == text.Length && Ascii.Equals(utf8, text) : Encoding.UTF8.GetString(utf8) == text;

    private static bool SameKeys(ReadOnlySpan<byte> utf8, IReadOnlyList<string> keys)
    {
        for (var i = 0; i < keys.Count; i++)
        {
            if (i > 0)
            {
                if (utf8.IsEmpty || utf8[0] != (byte)' ') return false;
                utf8 = utf8[1..];
            }
            var end = utf8.IndexOf((byte)' ');
            var part = end < 0 ? utf8 : utf8[..end];
            if (!Same(part, keys[i])) return false;
            utf8 = utf8[part.Length..];
        }
        return utf8.IsEmpty;
    }

    private static void Create(string path)
    {
        var header = Header();
        // Owner only, whatever the umask: the journal names principals, keys and encryption contexts.
        using var stream = Seal.PrivateFile.Open(path, FileMode.Create, FileAccess.Write, FileShare.ReadWrite);
        stream.Write(header);
        stream.Flush(flushToDisk: true);
    }

    private static byte[] Header() => Encoding.UTF8.GetBytes(Magic + Guid.NewGuid().ToString("N") + "\n");

    /// <summary>The line starting at <paramref name="start"/> if it is complete (ends with a newline).</summary>
    private static (string Text, long End)? ReadLine(FileStream stream, long start)
    {
        stream.Position = start;
        var bytes = new List<byte>(2048);
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b == '\n') return (Encoding.UTF8.GetString(bytes.ToArray()), stream.Position);
            bytes.Add((byte)b);
        }
        return null;
    }

    /// <summary>
    /// A journal's id, header length and data end: the last newline before the first NUL byte (or the end of the file).
    /// An entry cut short by a crash (its request never got a response) lies after it and does not count.
    /// </summary>
    private static (string Id, long HeaderLength, long End) Inspect(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        var header = ReadLine(stream, 0) ?? throw new InvalidDataException($"{path} has no header line.");
        if (!header.Text.StartsWith(Magic, StringComparison.Ordinal)) throw new InvalidDataException($"{path} is not a Keyward audit journal.");
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long end = header.End, position = header.End;
            stream.Position = position;
            int n;
            while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
            {
                var chunk = buffer.AsSpan(0, n);
                var nul = chunk.IndexOf((byte)0);
                var data = nul < 0 ? chunk : chunk[..nul];
                var newline = data.LastIndexOf((byte)'\n');
                if (newline >= 0) end = position + newline + 1;
                if (nul >= 0) break;
                position += n;
            }
            return (header.Text[Magic.Length..], header.End, end);
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }
}
