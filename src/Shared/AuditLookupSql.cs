using System.Text;
using Keyward.Core.Audit;

namespace Keyward.Storage;

/// <summary>
/// The one query behind LookupEvents, for both databases: newest first by sequence, filtered and limited in SQL.
/// Text comparisons are exact and case-sensitive in both (no LIKE: SQLite's ignores ASCII case). The two dialects
/// differ only in the function that finds a substring.
/// </summary>
internal static class AuditLookupSql
{
    public static (string Sql, List<(string Name, object Value)> Parameters) Build(AuditLookup lookup, bool postgres)
    {
        var where = new List<string>();
        var parameters = new List<(string Name, object Value)>();
        string Param(object value)
        {
            var name = "@p" + parameters.Count;
            parameters.Add((name, value));
            return name;
        }
        string Contains(string column, string value) =>
            postgres ? $"strpos({column}, {Param(value)}) > 0" : $"instr({column}, {Param(value)}) > 0";

        // Principal ARNs are arn:aws:iam::<account>:… (or sts); IAM names cannot hold ':', so ":<account>:" is the account.
        where.Add($"({Contains("principal_arn", $":{lookup.AccountId}:")} OR {Contains("key_arns", $":{lookup.AccountId}:key/")})");
        if (lookup.Region is { } region)
        {
            // The compact record holds ,"region":"…", and an older record, CloudTrail JSON, "awsRegion":"…" (Regions are ASCII,
            // written unescaped; a request parameter's text cannot forge either: its quotes are escaped).
            byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
            var compact = Bytes($",\"region\":\"{region}\",");
            var older = Bytes($"\"awsRegion\":\"{region}\"");
            where.Add(postgres
                ? $"(position({Param(compact)} in json) > 0 OR position({Param(older)} in json) > 0)"
                : $"(instr(json, {Param(compact)}) > 0 OR instr(json, {Param(older)}) > 0)");
        }
        if (lookup.Start is { } start) where.Add($"event_time >= {Param(start.ToUnixTimeMilliseconds())}");
        if (lookup.End is { } end) where.Add($"event_time <= {Param(end.ToUnixTimeMilliseconds())}");
        if (lookup.BeforeSequence is { } before) where.Add($"seq < {Param(before)}");
        if (lookup.Filter is { } f) where.Add(Filter(f));

        var sql = new StringBuilder($"SELECT {StorageRows.AuditColumns} FROM audit_events WHERE ");
        sql.AppendJoin(" AND ", where).Append($" ORDER BY seq DESC LIMIT {Param((long)lookup.Limit)}");
        return (sql.ToString(), parameters);

        string Filter(AuditFilter f)
        {
            switch (f.Kind)
            {
                case AuditFilterKind.EventName: return $"event_name = {Param(f.Value!)}";
                case AuditFilterKind.EventNameIn:
                case AuditFilterKind.EventNameNotIn:
                    if (f.Names.Count == 0) return f.Kind == AuditFilterKind.EventNameIn ? "1 = 0" : "1 = 1";
                    var list = string.Join(", ", f.Names.Select(n => Param(n)));
                    return f.Kind == AuditFilterKind.EventNameIn ? $"event_name IN ({list})" : $"event_name NOT IN ({list})";
                case AuditFilterKind.PrincipalEndsWith:
                    var v = Param(f.Value!);
                    return $"(length(principal_arn) >= length({v}) AND substr(principal_arn, length(principal_arn) - length({v}) + 1) = {v})";
                case AuditFilterKind.Key:
                    // key_arns holds the touched keys separated by single spaces.
                    return $"({Contains("(' ' || key_arns || ' ')", $" {f.Value} ")} OR {Contains("(key_arns || ' ')", $"/{f.Value} ")})";
                case AuditFilterKind.AnyKey: return "key_arns IS NOT NULL";
                case AuditFilterKind.RecordContains:
                    if (f.Fragments.Count == 0) return "1 = 0";
                    return "(" + string.Join(" OR ", f.Fragments.Select(b =>
                        postgres ? $"position({Param(b)} in json) > 0" : $"instr(json, {Param(b)}) > 0")) + ")";
                default: return "1 = 0";
            }
        }
    }
}
