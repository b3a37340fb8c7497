using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Keyward.Core.KeyStores;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Protocol.Xks;
using Keyward.Xks;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// Keyward's XKS client (the KMS side of an external key store) against the real proxy of <see cref="XksProxyTests"/>:
/// the four calls, the checks on answers, refusals, an unreachable proxy, and the 250 ms timeout with one retry
/// through a relay that holds answers back.
/// </summary>
public sealed class XksClientTests(XksProxyTests.Proxy fixture) : IClassFixture<XksProxyTests.Proxy>
{
    private const string AccessKey = XksProxyTests.AccessKey;
    private const string Secret = XksProxyTests.Secret;

    private static XksRequestMetadata Metadata(string operation) => new()
    {
        AwsPrincipalArn = "arn:aws:iam::111122223333:user/app", KmsOperation = operation, KmsRequestId = Guid.NewGuid().ToString(),
        KmsKeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    };

    private static XksClient Client(Uri endpoint, string secret = Secret) =>
        new(new HttpClient(), endpoint, "/tenant-a/kms/xks/v1", AccessKey, secret, "us-east-1", TimeProvider.System);

    [Fact]
    public async Task Health_metadata_encrypt_and_decrypt_through_the_proxy()
    {
        var client = Client(fixture.Host.Address);
        var health = await client.HealthAsync("ConnectCustomKeyStore", "r-1", default);
        Assert.Equal("ACTIVE", Assert.Single(health.EkmFleetDetails).HealthStatus);
        var meta = await client.GetKeyMetadataAsync("ext-key-1", Metadata("CreateKey"), default);
        Assert.Equal(("AES_256", "ENABLED"), (meta.KeySpec, meta.KeyStatus));
        var plaintext = RandomNumberGenerator.GetBytes(1100);
        var aad = RandomNumberGenerator.GetBytes(40);
        var sealedData = await client.EncryptAsync("ext-key-1", Metadata("Encrypt"), plaintext, aad, cdiv: true, default);
        Assert.Equal(plaintext, await client.DecryptAsync("ext-key-1", Metadata("Decrypt"), sealedData, aad, default));
        var refused = await Assert.ThrowsAsync<XksProxyException>(() => client.DecryptAsync("ext-key-1", Metadata("Decrypt"), sealedData, [1], default));
        Assert.Equal((XksProxyFailure.Refused, XksErrorName.InvalidCiphertextException), (refused.Failure, refused.ErrorName));
    }

    [Fact]
    public async Task A_wrong_secret_an_unknown_key_and_an_unreachable_proxy_are_told_apart()
    {
        var wrong = await Assert.ThrowsAsync<XksProxyException>(() => Client(fixture.Host.Address, "wrongSecret0123456789abcdefghijABCDEFGHIJKLMN").HealthAsync("KmsHealthCheck", "r", default));
        Assert.Equal(XksErrorName.AuthenticationFailedException, wrong.ErrorName);
        var missing = await Assert.ThrowsAsync<XksProxyException>(() => Client(fixture.Host.Address).GetKeyMetadataAsync("no-such-key", Metadata("CreateKey"), default));
        Assert.Equal(XksErrorName.KeyNotFoundException, missing.ErrorName);

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closed = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        listener.Stop();
        var unreachable = await Assert.ThrowsAsync<XksProxyException>(() => Client(closed).HealthAsync("KmsHealthCheck", "r", default));
        Assert.Equal(XksProxyFailure.Unreachable, unreachable.Failure);
    }

    [Fact]
    public async Task An_answer_later_than_250_ms_is_retried_once_then_given_up()
    {
        // The first answer is held back 400 ms: the retry, on a new connection, gets through.
        await using (var once = new DelayingRelay(fixture.Host.Address, TimeSpan.FromMilliseconds(400), slowConnections: 1))
        {
            var meta = await Client(once.Address).GetKeyMetadataAsync("ext-key-1", Metadata("DescribeKey"), default);
            Assert.Equal("ENABLED", meta.KeyStatus);
            Assert.Equal(2, once.Connections);
        }
        // Every answer held back: two attempts of 250 ms, then Timeout.
        await using var always = new DelayingRelay(fixture.Host.Address, TimeSpan.FromMilliseconds(400), slowConnections: int.MaxValue);
        var timeout = await Assert.ThrowsAsync<XksProxyException>(() => Client(always.Address).GetKeyMetadataAsync("ext-key-1", Metadata("DescribeKey"), default));
        Assert.Equal(XksProxyFailure.Timeout, timeout.Failure);
        Assert.Equal(2, always.Connections);
    }
}
