using System.Collections.Concurrent;
using Amazon.KeyManagementService.Model;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// One KMS key per (server, spec, usage), created on first use and shared by tests that only use
/// it (RSA-4096 generation takes a while). A test that changes a key's state creates its own.
/// </summary>
public static class SharedKeys
{
    private static readonly ConcurrentDictionary<(Uri, string, string), Lazy<Task<KeyMetadata>>> Keys = new();

    public static Task<KeyMetadata> GetAsync(ServerFixture server, string keySpec, string keyUsage) =>
        Keys.GetOrAdd((server.Url, keySpec, keyUsage), _ => new Lazy<Task<KeyMetadata>>(async () =>
            (await server.Client().CreateKeyAsync(new CreateKeyRequest { KeySpec = keySpec, KeyUsage = keyUsage })).KeyMetadata)).Value;
}
