using Keyward.Core.Identity;
using Keyward.Core.Keys;
using Keyward.Core.Policies;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Service;

/// <summary>
/// Who may do what: every operation on a key is authorized against the key policy, the caller's
/// identity policies and (when they do not allow it) the key's grants; operations on no key against
/// identity policies alone. A refusal is AccessDeniedException with AWS's message.
/// </summary>
public sealed partial class KmsService
{
    /// <summary>The kms: action of the caller's operation (ReEncrypt is authorized as ReEncryptFrom and ReEncryptTo by its callers).</summary>
    private static string ActionOf(Caller caller) => Keyward.Protocol.KmsOperationNames.Action(caller.Operation);

    /// <param name="grantCondition">Narrows which grants may allow the action (CreateGrant by a grantee); a grant never allows when it returns false.</param>
    private async ValueTask AuthorizeKeyAsync(Caller caller, KeyRecord key, string action, string? requestAlias, CancellationToken ct,
        Func<GrantRecord, bool>? grantCondition = null)
    {
        var resource = Arn(key);
        // A cryptographic request is charged once, for the first key it uses (ReEncrypt's source), to that key's quota.
        if (caller.Audit.KeyArns.Count == 0) _quotas.ChargeKeyUse(caller, key, Spec(key).Family);
        caller.Audit.Touch(resource);
        CheckGrantTokens(caller);
        var policy = PolicyDocument.ForKey(key.Policy);
        IReadOnlyList<string>? aliases = null;
        if (policy.UsesResourceAliases || caller.Principal.Policies.Any(p => p.UsesResourceAliases))
            aliases = (await storage.ListAliasesAsync(key.AccountId, key.Region, key.StorageId, null, 100, ct)).Select(a => a.AliasName).ToList();
        var context = new AuthorizationContext
        {
            PrincipalArn = caller.Arn,
            PrincipalAccount = caller.AccountId,
            Action = action,
            Resource = resource,
            Now = clock.GetUtcNow(),
            SourceIp = caller.SourceIp,
            EncryptionContext = caller.EncryptionContext,
            KeySpec = key.KeySpec,
            KeyUsage = key.KeyUsage,
            KeyOrigin = key.Origin,
            RequestAlias = requestAlias,
            ResourceAliases = aliases,
        };
        var decision = Authorization.Decide(caller.Principal, key.AccountId, policy, context);
        if (decision == AccessDecision.Allow) return;
        // A grant can allow what the policies do not allow, never what they explicitly deny.
        if (decision is AccessDecision.NoKeyPolicyAllows or AccessDecision.NoIdentityPolicyAllows
            && await GrantAllowsAsync(caller, key, action, grantCondition, ct)) return;
        throw new KmsException(KmsErrorCode.AccessDeniedException, Authorization.Message(decision, caller.Arn, action, resource));
    }

    /// <summary>An operation on no key (CreateKey, ListKeys, custom key stores…): identity policies alone decide.</summary>
    private void AuthorizeAccount(Caller caller, string? keySpec = null, string? keyUsage = null, string? origin = null) =>
        AuthorizeIdentity(caller.Principal, ActionOf(caller), caller.SourceIp, keySpec, keyUsage, origin);

    /// <summary>
    /// An action on no resource of KMS's own, such as <c>cloudtrail:LookupEvents</c>: the caller's identity policies
    /// decide (an account's root may do anything); AccessDeniedException otherwise.
    /// </summary>
    public void AuthorizeIdentity(Principal principal, string action, string? sourceIp, string? keySpec = null, string? keyUsage = null,
        string? origin = null)
    {
        if (principal.IsRoot) return;
        var context = new AuthorizationContext
        {
            PrincipalArn = principal.Arn,
            PrincipalAccount = principal.AccountId,
            Action = action,
            Resource = "*",
            Now = clock.GetUtcNow(),
            SourceIp = sourceIp,
            KeySpec = keySpec,
            KeyUsage = keyUsage,
            KeyOrigin = origin,
        };
        var decision = Authorization.Decide(principal, null, null, context);
        if (decision != AccessDecision.Allow)
            throw new KmsException(KmsErrorCode.AccessDeniedException, Authorization.Message(decision, principal.Arn, action, "*"));
    }

    /// <summary>
    /// Parses a new key policy (MalformedPolicyDocumentException) and, unless the caller bypasses it, applies
    /// AWS's lockout safety check: the policy must let the caller call PutKeyPolicy on the key afterwards.
    /// </summary>
    private string CheckNewPolicy(Caller caller, string policy, string accountId, string keyArn, bool bypassLockoutCheck)
    {
        var parsed = PolicyDocument.Parse(policy, keyPolicy: true);
        if (bypassLockoutCheck) return policy;
        var context = new AuthorizationContext
        {
            PrincipalArn = caller.Arn,
            PrincipalAccount = caller.AccountId,
            Action = "kms:PutKeyPolicy",
            Resource = keyArn,
            Now = clock.GetUtcNow(),
            SourceIp = caller.SourceIp,
        };
        if (Authorization.Decide(caller.Principal, accountId, parsed, context) != AccessDecision.Allow)
            throw Faults.MalformedPolicy("The new key policy will not allow you to update the key policy in the future.");
        return policy;
    }
}
