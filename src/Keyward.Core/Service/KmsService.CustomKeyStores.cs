using System.Security.Cryptography;
using System.Text;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Core.KeyStores;
using Keyward.Protocol.Errors;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

/// <summary>
/// Custom key stores: AWS_CLOUDHSM over the configured HSM clusters, and EXTERNAL_KEY_STORE over an XKS proxy
/// (KmsService.ExternalKeyStores.cs). Both have AWS's connection states: Connect moves DISCONNECTED → CONNECTING →
/// CONNECTED or FAILED (with a ConnectionErrorCode); Disconnect moves any other state to DISCONNECTED; a FAILED store must
/// be disconnected before it is connected again. Delete needs DISCONNECTED, and so does Update, except for an external key
/// store's name, path and credential.
/// </summary>
public sealed partial class KmsService
{
    /// <summary>How long ConnectCustomKeyStore waits for the connection before it answers (AWS answers at once and connects later).</summary>
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(10);

    public async ValueTask<CreateCustomKeyStoreResponse> CreateCustomKeyStoreAsync(Caller caller, CreateCustomKeyStoreRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        // AWS's resource quota (KmsOptions.DefaultCustomKeyStoresPerAccount unless configured): one more is LimitExceededException. It is checked
        // before anything else, so an external key store's proxy is not called. Creations racing past it can exceed it.
        if ((await StoresInRegionAsync(caller, ct)).Count >= options.CustomKeyStoresPerAccount)
            throw new KmsException(KmsErrorCode.LimitExceededException,
                $"The request was rejected because the account already has the maximum number of custom key stores ({options.CustomKeyStoresPerAccount}).");
        var type = request.CustomKeyStoreType ?? CustomKeyStores.CloudHsm;
        if (type == CustomKeyStores.External) return await CreateExternalKeyStoreAsync(caller, request, ct);
        RequireNoXksMembers(request.XksProxyUriEndpoint, request.XksProxyUriPath, request.XksProxyAuthenticationCredential, request.XksProxyConnectivity,
            request.XksProxyVpcEndpointServiceName);
        if (request.CloudHsmClusterId is null || request.TrustAnchorCertificate is null || request.KeyStorePassword is null)
            throw KmsException.Validation("An AWS_CLOUDHSM custom key store needs CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword.");
        var cluster = hsmClusters.Find(request.CloudHsmClusterId) ?? throw ClusterNotFound(request.CloudHsmClusterId);
        if (cluster.TrustAnchorCertificate is { } anchor && !SameCertificate(anchor, request.TrustAnchorCertificate))
            throw new KmsException(KmsErrorCode.IncorrectTrustAnchorException,
                $"The trust anchor certificate does not match the one of cluster {cluster.Id}.");
        await RequireClusterFreeAsync(cluster, exceptStoreId: null, ct);

        var id = CustomKeyStores.NewId();
        var record = new CustomKeyStoreRecord
        {
            CustomKeyStoreId = id,
            AccountId = caller.AccountId,
            Region = RegionOf(caller),
            Name = request.CustomKeyStoreName!,
            StoreType = type,
            CloudHsmClusterId = cluster.Id,
            TrustAnchorCertificate = request.TrustAnchorCertificate,
            Password = WrapPassword(id, request.KeyStorePassword),
            ConnectionState = CustomKeyStores.Disconnected,
            CreationDate = Now(),
            Version = 1,
        };
        return await StoreNewAsync(record, ct);
    }

    /// <summary>The caller's account's custom key stores in the request's Region.</summary>
    private async ValueTask<List<CustomKeyStoreRecord>> StoresInRegionAsync(Caller caller, CancellationToken ct)
    {
        var region = RegionOf(caller);
        return [.. (await storage.ListCustomKeyStoresAsync(caller.AccountId, ct)).Where(s => s.Region == region)];
    }

    /// <summary>Stores a new store record (DISCONNECTED, as AWS creates them); its name must be free in the account and Region.</summary>
    private async ValueTask<CreateCustomKeyStoreResponse> StoreNewAsync(CustomKeyStoreRecord record, CancellationToken ct)
    {
        if (!await storage.CreateCustomKeyStoreAsync(record, ct)) throw NameInUse(record.Name);
        _stores.Remember(record);
        return new CreateCustomKeyStoreResponse { CustomKeyStoreId = record.CustomKeyStoreId };
    }

    public async ValueTask<DescribeCustomKeyStoresResponse> DescribeCustomKeyStoresAsync(Caller caller, DescribeCustomKeyStoresRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        if (request.CustomKeyStoreId is not null && request.CustomKeyStoreName is not null)
            throw KmsException.Validation("Specify either CustomKeyStoreId or CustomKeyStoreName, not both.");
        var all = await StoresInRegionAsync(caller, ct);
        IEnumerable<CustomKeyStoreRecord> matching = all;
        if (request.CustomKeyStoreId is { } id)
            matching = all.Where(s => s.CustomKeyStoreId == id).ToList() is { Count: > 0 } byId ? byId : throw Faults.StoreNotFound(id);
        else if (request.CustomKeyStoreName is { } name)
            matching = all.Where(s => s.Name == name).ToList() is { Count: > 0 } byName ? byName : throw Faults.StoreNotFound(name);
        var after = Paging.DecodeMarker(request.Marker);
        var limit = request.Limit ?? 100;
        var page = matching.Where(s => after is null || string.CompareOrdinal(s.CustomKeyStoreId, after) > 0).Take(limit + 1).ToList();
        var truncated = page.Count > limit;
        if (truncated) page.RemoveAt(limit);
        foreach (var s in page) _stores.Remember(s);
        return new DescribeCustomKeyStoresResponse
        {
            CustomKeyStores = page.Select(ToEntry).ToList(),
            Truncated = truncated,
            NextMarker = truncated ? Paging.EncodeMarker(page[^1].CustomKeyStoreId) : null,
        };
    }

    public async ValueTask ConnectCustomKeyStoreAsync(Caller caller, CustomKeyStoreIdRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        var store = await GetStoreAsync(caller, request.CustomKeyStoreId!, ct);
        switch (store.ConnectionState)
        {
            case CustomKeyStores.Connected or CustomKeyStores.Connecting:
                return;
            case CustomKeyStores.Failed or CustomKeyStores.Disconnecting:
                throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is {store.ConnectionState}. Disconnect it before connecting it again.");
        }
        var connecting = await WriteStoreAsync(store with { ConnectionState = CustomKeyStores.Connecting, ConnectionErrorCode = null }, ct)
                         ?? throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} changed while connecting; try again.");
        // AWS connects in the background; the request waits a little so a quick connection is visible at once.
        var connect = Task.Run(() => FinishConnectAsync(connecting, healthCheck: true), CancellationToken.None);
        await Task.WhenAny(connect, Task.Delay(ConnectWait, ct));
    }

    /// <summary>
    /// Logs in to the cluster (or opens the proxy client and, with <paramref name="healthCheck"/>, checks its health) and
    /// records CONNECTED, or FAILED with the reason, unless the store changed meanwhile.
    /// </summary>
    private async Task FinishConnectAsync(CustomKeyStoreRecord connecting, bool healthCheck)
    {
        var (error, _) = await ConnectStoreAsync(connecting, healthCheck);
        var final = connecting with
        {
            ConnectionState = error is null ? CustomKeyStores.Connected : CustomKeyStores.Failed,
            ConnectionErrorCode = error,
        };
        if (await WriteStoreAsync(final, CancellationToken.None) is null && error is null)
        {
            // Disconnected (or deleted) while connecting: do not keep the connection.
            var now = await storage.GetCustomKeyStoreAsync(connecting.CustomKeyStoreId, CancellationToken.None);
            if (now?.ConnectionState != CustomKeyStores.Connected) _stores.Close(connecting.CustomKeyStoreId);
        }
    }

    /// <summary>A connection to the store in this process; AWS's ConnectionErrorCode on failure, and whether this call added it.</summary>
    private async Task<(string? Error, bool Added)> ConnectStoreAsync(CustomKeyStoreRecord store, bool healthCheck) =>
        store.StoreType == CustomKeyStores.External ? await ConnectExternalAsync(store, healthCheck) : ConnectHsm(store);

    /// <summary>
    /// Logs in to the store's cluster with its password (zeroed afterwards) and keeps the connection in this process.
    /// Returns AWS's ConnectionErrorCode on failure, and whether this call added the connection (false if one was there).
    /// </summary>
    private (string? Error, bool Added) ConnectHsm(CustomKeyStoreRecord store)
    {
        IHsmKeyStore connection;
        byte[]? password = null;
        try
        {
            password = UnwrapPassword(store);
            connection = hsmClusters.Connect(store.CloudHsmClusterId!, password);
        }
        catch (KeyStoreConnectException e) { return (e.ErrorCode, false); }
        catch (Exception) { return ("INTERNAL_ERROR", false); }
        finally { if (password is not null) CryptographicOperations.ZeroMemory(password); }
        if (_stores.TryAdd(store.CustomKeyStoreId, connection)) return (null, true);
        connection.Dispose();
        return (null, false);
    }

    public async ValueTask DisconnectCustomKeyStoreAsync(Caller caller, CustomKeyStoreIdRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        await RetryOnConflictAsync(async () =>
        {
            var store = await GetStoreAsync(caller, request.CustomKeyStoreId!, ct);
            if (store.ConnectionState is CustomKeyStores.Disconnected or CustomKeyStores.Disconnecting)
                throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is already {store.ConnectionState}.");
            // The connection goes first: from here on, its keys refuse every request.
            _stores.Close(store.CustomKeyStoreId);
            return await WriteStoreAsync(store with { ConnectionState = CustomKeyStores.Disconnected, ConnectionErrorCode = null }, ct);
        }, ct);
    }

    public async ValueTask UpdateCustomKeyStoreAsync(Caller caller, UpdateCustomKeyStoreRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        await RetryOnConflictAsync(async () =>
        {
            var store = await GetStoreAsync(caller, request.CustomKeyStoreId!, ct);
            if (store.StoreType == CustomKeyStores.External) return await UpdateExternalKeyStoreAsync(caller, store, request, ct);
            RequireNoXksMembers(request.XksProxyUriEndpoint, request.XksProxyUriPath, request.XksProxyAuthenticationCredential, request.XksProxyConnectivity,
                request.XksProxyVpcEndpointServiceName);
            if (store.ConnectionState != CustomKeyStores.Disconnected)
                throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is {store.ConnectionState}. Disconnect it before updating it.");
            var next = store;
            if (request.NewCustomKeyStoreName is { } name && name != store.Name)
            {
                var taken = (await StoresInRegionAsync(caller, ct)).Any(s => s.Name == name);
                if (taken) throw NameInUse(name);
                next = next with { Name = name };
            }
            if (request.CloudHsmClusterId is { } clusterId && clusterId != store.CloudHsmClusterId)
            {
                var cluster = hsmClusters.Find(clusterId) ?? throw ClusterNotFound(clusterId);
                if (cluster.BackupHistory != BackupHistoryOf(store.CloudHsmClusterId!))
                    throw new KmsException(KmsErrorCode.CloudHsmClusterNotRelatedException,
                        $"Cluster {clusterId} does not share a backup history with cluster {store.CloudHsmClusterId}.");
                await RequireClusterFreeAsync(cluster, store.CustomKeyStoreId, ct);
                next = next with { CloudHsmClusterId = clusterId };
            }
            if (request.KeyStorePassword is { } password) next = next with { Password = WrapPassword(store.CustomKeyStoreId, password) };
            if (ReferenceEquals(next, store)) return store;
            return await WriteStoreAsync(next, ct);
        }, ct);
    }

    public async ValueTask DeleteCustomKeyStoreAsync(Caller caller, CustomKeyStoreIdRequest request, CancellationToken ct)
    {
        AuthorizeAccount(caller);
        var store = await GetStoreAsync(caller, request.CustomKeyStoreId!, ct);
        if (store.ConnectionState != CustomKeyStores.Disconnected)
            throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} is {store.ConnectionState}. Disconnect it before deleting it.");
        if (await storage.CountKeysInCustomKeyStoreAsync(store.CustomKeyStoreId, ct) > 0)
            throw new KmsException(KmsErrorCode.CustomKeyStoreHasCMKsException,
                $"Custom key store {store.CustomKeyStoreId} has KMS keys. Delete them (ScheduleKeyDeletion) and wait for their deletion first.");
        if (!await storage.DeleteCustomKeyStoreAsync(store.CustomKeyStoreId, store.Version, ct))
            throw Faults.StoreState($"Custom key store {store.CustomKeyStoreId} changed while being deleted; try again.");
        _stores.ForgetRecord(store.CustomKeyStoreId);
    }

    /// <summary>At start-up: connects again every store that was connected (or connecting) when the server stopped.</summary>
    public async Task ReconnectCustomKeyStoresAsync(CancellationToken ct)
    {
        foreach (var store in await storage.ListCustomKeyStoresAsync(null, ct))
        {
            _stores.Remember(store);
            // An external key store reconnects without a health check: a proxy that is down now fails requests until it is back.
            if (store.ConnectionState is CustomKeyStores.Connected or CustomKeyStores.Connecting)
                await FinishConnectAsync(store, healthCheck: false);
        }
    }

    /// <summary>The store of a key's material: the connected HSM key store of a key in an AWS_CLOUDHSM store (KMSInvalidStateException if it cannot be used now), else the software store.</summary>
    private IKeyStore StoreFor(KeyRecord key)
    {
        // A key in an external key store holds its KMS-side material in the software store (the proxy is the outer layer).
        if (key.CustomKeyStoreId is not { } id || key.XksKeyId is not null) return keyStore;
        return _stores.TryGet(id, out var store) && store.Available ? store : throw Faults.StoreUnavailable(Arn(key), id);
    }

    /// <summary>
    /// Runs <paramref name="use"/> on the connected store a CreateKey or GenerateRandom names. A store
    /// that is not CONNECTED, or whose HSMs do not respond, is CustomKeyStoreInvalidStateException.
    /// </summary>
    private async ValueTask<T> InConnectedStoreAsync<T>(Caller caller, string storeId, Func<IHsmKeyStore, ValueTask<T>> use,
        CancellationToken ct)
    {
        var record = await GetStoreAsync(caller, storeId, ct);
        if (record.StoreType == CustomKeyStores.External)
            throw Faults.Unsupported($"Custom key store {storeId} is an external key store; this operation needs an AWS_CLOUDHSM key store.");
        if (record.ConnectionState != CustomKeyStores.Connected || !_stores.TryGet(storeId, out var store))
            throw Faults.StoreState($"Custom key store {storeId} is {record.ConnectionState}; it must be CONNECTED.");
        var notResponding = Faults.StoreState($"No HSM of custom key store {storeId} responds.");
        if (!store.Available) throw notResponding;
        try { return await use(store); }
        catch (KeyStoreException e) when (e.Failure is KeyStoreFailure.Unavailable or KeyStoreFailure.Timeout) { throw notResponding; }
    }

    private async ValueTask<CustomKeyStoreRecord> GetStoreAsync(Caller caller, string storeId, CancellationToken ct)
    {
        var store = await storage.GetCustomKeyStoreAsync(storeId, ct);
        if (store is null || store.AccountId != caller.AccountId || store.Region != RegionOf(caller)) throw Faults.StoreNotFound(storeId);
        _stores.Remember(store);
        return store;
    }

    private async ValueTask<CustomKeyStoreRecord?> WriteStoreAsync(CustomKeyStoreRecord store, CancellationToken ct)
    {
        var stored = await storage.UpdateCustomKeyStoreAsync(store, ct);
        if (stored is not null) _stores.Remember(stored);
        return stored;
    }

    /// <summary>AWS: one custom key store per cluster, counting clusters that share a backup history.</summary>
    private async ValueTask RequireClusterFreeAsync(HsmClusterInfo cluster, string? exceptStoreId, CancellationToken ct)
    {
        foreach (var other in await storage.ListCustomKeyStoresAsync(null, ct))
        {
            if (other.CustomKeyStoreId == exceptStoreId || other.CloudHsmClusterId is not { } otherCluster) continue;
            if (otherCluster == cluster.Id || BackupHistoryOf(otherCluster) == cluster.BackupHistory)
                throw new KmsException(KmsErrorCode.CloudHsmClusterInUseException,
                    $"Cluster {cluster.Id} is already associated with a custom key store, or shares a backup history with one that is.");
        }
    }

    /// <summary>A cluster's backup history; a cluster no longer in the configuration is its own.</summary>
    private string BackupHistoryOf(string clusterId) => hsmClusters.Find(clusterId)?.BackupHistory ?? clusterId;

    private static Protocol.Operations.CustomKeyStoresListEntry ToEntry(CustomKeyStoreRecord s) => new()
    {
        CustomKeyStoreId = s.CustomKeyStoreId,
        CustomKeyStoreName = s.Name,
        CloudHsmClusterId = s.CloudHsmClusterId,
        TrustAnchorCertificate = s.TrustAnchorCertificate,
        ConnectionState = s.ConnectionState,
        ConnectionErrorCode = s.ConnectionState == CustomKeyStores.Failed ? s.ConnectionErrorCode : null,
        CreationDate = s.CreationDate,
        CustomKeyStoreType = s.StoreType,
        XksProxyConfiguration = s.StoreType == CustomKeyStores.External
            ? new XksProxyConfiguration
            {
                AccessKeyId = s.XksAccessKeyId, Connectivity = s.XksProxyConnectivity, UriEndpoint = s.XksProxyUriEndpoint, UriPath = s.XksProxyUriPath,
            }
            : null,
    };

    private byte[] WrapPassword(string storeId, string password)
    {
        var clear = Encoding.UTF8.GetBytes(password);
        try { return barrier.Wrap(clear, CustomKeyStores.PasswordPurpose, storeId); }
        finally { CryptographicOperations.ZeroMemory(clear); }
    }

    /// <summary>The crypto user's PIN in the clear; the caller zeroes it.</summary>
    private byte[] UnwrapPassword(CustomKeyStoreRecord store) => UnwrapStoreSecret(store.Password, CustomKeyStores.PasswordPurpose, store.CustomKeyStoreId);

    /// <summary>A store secret the barrier wrapped for <paramref name="purpose"/> and the store id, in the clear; the caller zeroes it.</summary>
    private byte[] UnwrapStoreSecret(byte[]? wrapped, string purpose, string storeId)
    {
        var clear = new byte[Seal.RootKeyBarrier.UnwrappedSize(wrapped ?? [])];
        if (wrapped is null || !barrier.TryUnwrap(wrapped, purpose, storeId, clear)) throw Faults.Internal();
        return clear;
    }

    /// <summary>Two PEM certificates are the same when their DER bodies are.</summary>
    private static bool SameCertificate(string a, string b)
    {
        static byte[]? Der(string pem)
        {
            try { return System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem).RawData; }
            catch (Exception e) when (Crypto.MalformedInput.Is(e)) { return null; }
        }
        return Der(a) is { } x && Der(b) is { } y && x.AsSpan().SequenceEqual(y);
    }

    private static KmsException ClusterNotFound(string id) =>
        new(KmsErrorCode.CloudHsmClusterNotFoundException, $"HSM cluster {id} is not configured on this server.");

    private static KmsException NameInUse(string name) =>
        new(KmsErrorCode.CustomKeyStoreNameInUseException, $"A custom key store named {name} already exists in this account.");
}
