using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Keyward.Protocol.SigV4;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>Sends hand-made KMS requests, signed or not, to check the wire behaviour byte by byte.</summary>
public sealed class RawClient(Uri url) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = url };

    public sealed record Reply(int Status, string? Type, string? Message, JsonElement Body, string Raw);

    public Task<Reply> SendAsync(string operation, string body, DateTimeOffset? signedAt = null,
        string accessKeyId = ServerFixture.AccessKeyId, string secret = ServerFixture.SecretAccessKey, bool sign = true,
        Action<HttpRequestMessage>? tamper = null, Action<HttpResponseMessage>? inspect = null) =>
        SendAsync(operation, Encoding.UTF8.GetBytes(body), signedAt, accessKeyId, secret, sign, tamper, inspect);

    public async Task<Reply> SendAsync(string? operation, byte[] body, DateTimeOffset? signedAt = null,
        string accessKeyId = ServerFixture.AccessKeyId, string secret = ServerFixture.SecretAccessKey, bool sign = true,
        Action<HttpRequestMessage>? tamper = null, Action<HttpResponseMessage>? inspect = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        var headers = new Dictionary<string, string>
        {
            ["host"] = $"{_http.BaseAddress!.Host}:{_http.BaseAddress.Port}",
            ["content-type"] = "application/x-amz-json-1.1",
        };
        if (operation is not null)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Target", "TrentService." + operation);
            headers["x-amz-target"] = "TrentService." + operation;
        }
        if (sign)
        {
            var (date, auth) = SigV4Signer.Sign("POST", "/", "", headers, body, accessKeyId, secret, ServerFixture.Region, "kms",
                signedAt ?? DateTimeOffset.UtcNow);
            request.Headers.TryAddWithoutValidation("X-Amz-Date", date);
            request.Headers.TryAddWithoutValidation("Authorization", auth);
        }
        tamper?.Invoke(request);
        using var response = await _http.SendAsync(request);
        inspect?.Invoke(response);
        var raw = await response.Content.ReadAsStringAsync();
        var json = raw.Length == 0 ? default : JsonDocument.Parse(raw).RootElement.Clone();
        string? type = null, message = null;
        if (json.ValueKind == JsonValueKind.Object)
        {
            if (json.TryGetProperty("__type", out var t)) type = t.GetString();
            if (json.TryGetProperty("message", out var m)) message = m.GetString();
        }
        return new Reply((int)response.StatusCode, type, message, json, raw);
    }

    public void Dispose() => _http.Dispose();
}
