using System.Security.Cryptography;
using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Protocol;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    public async ValueTask<GenerateMacResponse> GenerateMacAsync(Caller caller, GenerateMacRequest request, CancellationToken ct)
    {
        var (key, mac) = await ComputeMacAsync(caller, request, "GenerateMac", ct);
        return new GenerateMacResponse { Mac = mac, MacAlgorithm = request.MacAlgorithm, KeyId = Arn(key) };
    }

    public async ValueTask<VerifyMacResponse> VerifyMacAsync(Caller caller, VerifyMacRequest request, CancellationToken ct)
    {
        var (key, mac) = await ComputeMacAsync(caller, request, "VerifyMac", ct);
        try
        {
            // Constant time in the MAC's contents; a wrong length is not secret.
            if (!ConstantTime.AreEqual(mac, request.Mac)) throw Faults.InvalidMac();
        }
        finally { CryptographicOperations.ZeroMemory(mac); }
        return new VerifyMacResponse { KeyId = Arn(key), MacValid = true, MacAlgorithm = request.MacAlgorithm };
    }

    private async ValueTask<(KeyRecord Key, byte[] Mac)> ComputeMacAsync(Caller caller, GenerateMacRequest request, string operation, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: true, ct);
        var spec = RequireUsage(key, KeySpecInfo.GenerateVerifyMac, operation);
        RequireAlgorithm(key, spec, request.MacAlgorithm!);
        var material = await CurrentMaterialAsync(key, ct);
        if (request.DryRun == true) throw Faults.DryRun();
        return (key, await keyStore.GenerateMacAsync(material, spec, request.Message!, ct));
    }
}
