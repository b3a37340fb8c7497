using Keyward.Core.Identity;
using Keyward.Protocol.Operations;

namespace Keyward.Core.Service;

public sealed partial class KmsService
{
    private const string DefaultPolicyName = "default";

    public async ValueTask<GetKeyPolicyResponse> GetKeyPolicyAsync(Caller caller, GetKeyPolicyRequest request, CancellationToken ct)
    {
        var key = await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        CheckPolicyName(request.PolicyName);
        return new GetKeyPolicyResponse { Policy = key.Policy, PolicyName = DefaultPolicyName };
    }

    public async ValueTask PutKeyPolicyAsync(Caller caller, PutKeyPolicyRequest request, CancellationToken ct)
    {
        CheckPolicyName(request.PolicyName);
        await ChangeKeyAsync(caller, request.KeyId!, key =>
        {
            RequireNotPendingDeletion(key);
            return key with { Policy = CheckNewPolicy(caller, request.Policy!, key.AccountId, Arn(key), request.BypassPolicyLockoutSafetyCheck == true) };
        }, ct);
    }

    public async ValueTask<ListKeyPoliciesResponse> ListKeyPoliciesAsync(Caller caller, ListKeyPoliciesRequest request, CancellationToken ct)
    {
        await ResolveKeyAsync(caller, request.KeyId!, allowAlias: false, ct);
        return new ListKeyPoliciesResponse { PolicyNames = [DefaultPolicyName], Truncated = false };
    }

    // A KMS key has exactly one key policy, named "default".
    private static void CheckPolicyName(string? name)
    {
        if (name is not null && name != DefaultPolicyName) throw Faults.PolicyNotFound(name);
    }
}
