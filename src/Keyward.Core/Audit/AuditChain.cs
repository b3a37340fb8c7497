using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Keyward.Protocol;

namespace Keyward.Core.Audit;

/// <summary>
/// The hash chain of the audit log: event n stores hash(n) = SHA-256(hash(n−1) ‖ sequence n as 8 bytes
/// big-endian ‖ UTF-8 JSON of event n), with 32 zero bytes before the first event. Editing an event
/// changes its hash; removing or reordering events breaks the sequence or the link to the previous
/// hash. One chain serves every node (appends serialize on a database lock; docs/multi-node.md).
/// </summary>
public static class AuditChain
{
    public static readonly byte[] Genesis = new byte[32];

    public static byte[] Hash(ReadOnlySpan<byte> previous, long sequence, string json) => Hash(previous, sequence, Encoding.UTF8.GetBytes(json));

    public static byte[] Hash(ReadOnlySpan<byte> previous, long sequence, ReadOnlySpan<byte> bytes)
    {
        // SHA-256(previous ‖ sequence as 8 bytes big-endian ‖ bytes), from a pooled buffer (the indexer hashes every event).
        var length = previous.Length + 8 + bytes.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var input = rented.AsSpan(0, length);
            previous.CopyTo(input);
            BinaryPrimitives.WriteInt64BigEndian(input[previous.Length..], sequence);
            bytes.CopyTo(input[(previous.Length + 8)..]);
            return Keyward.OpenSsl.Sha256.Hash(input);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary>What <c>keyward audit verify</c> found: null when the chain is intact.</summary>
    public static string? Check(AuditRecord record, long expectedSequence, byte[] previousHash)
    {
        if (record.Sequence != expectedSequence)
            return record.Sequence > expectedSequence
                ? $"event {expectedSequence} is missing (the next stored event is {record.Sequence}): events were removed"
                : $"event {record.Sequence} appears out of order after event {expectedSequence - 1}: events were reordered";
        if (!ConstantTime.AreEqual(record.PreviousHash, previousHash))
            return $"event {record.Sequence} does not follow event {record.Sequence - 1} (its link to the previous hash is broken): events were removed, reordered or replaced";
        if (!ConstantTime.AreEqual(record.Hash, Hash(previousHash, record.Sequence, record.Json)))
            return $"event {record.Sequence} was modified (its content does not match its hash)";
        if (AuditColumns.Mismatch(record) is { } column)
            return $"event {record.Sequence} was modified (its {column} column does not match the event its hash covers)";
        return null;
    }
}
