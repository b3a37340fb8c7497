using Keyward.Core.Identity;
using Keyward.Core.Policies;
using Keyward.Protocol.Errors;

namespace Keyward.Core.Tests;

/// <summary>The policy language and AWS KMS's evaluation, case by case, without a server.</summary>
public sealed class PolicyTests
{
    private const string Account = "111122223333";
    private const string Other = "444455556666";
    private const string KeyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    private static readonly Principal Alice = new(Account, $"arn:aws:iam::{Account}:user/alice");
    private static readonly Principal Root = Principal.Root(Account);

    private static AuthorizationContext Ctx(Principal p, string action = "kms:Encrypt", Dictionary<string, string>? ec = null, string? ip = "10.1.2.3",
        string? alias = null, IReadOnlyList<string>? aliases = null, DateTimeOffset? now = null) => new()
    {
        PrincipalArn = p.Arn, PrincipalAccount = p.AccountId, Action = action, Resource = KeyArn, Now = now ?? DateTimeOffset.Parse("2026-06-01T00:00:00Z"),
        SourceIp = ip, EncryptionContext = ec, KeySpec = "SYMMETRIC_DEFAULT", KeyUsage = "ENCRYPT_DECRYPT", KeyOrigin = "AWS_KMS",
        RequestAlias = alias, ResourceAliases = aliases,
    };

    private static PolicyDocument Key(string statements) => PolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", keyPolicy: true);

    private static PolicyDocument Identity(string statements) => PolicyDocument.Parse($$"""{"Version":"2012-10-17","Statement":[{{statements}}]}""", keyPolicy: false);

    private const string RootAll = """{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}""";

    private static AccessDecision Decide(Principal p, PolicyDocument key, AuthorizationContext? ctx = null) =>
        Authorization.Decide(p, Account, key, ctx ?? Ctx(p));

    [Fact]
    public void The_default_policy_allows_the_root_and_delegates_users_to_their_identity_policies()
    {
        var policy = Key(RootAll);
        Assert.Equal(AccessDecision.Allow, Decide(Root, policy));
        Assert.Equal(AccessDecision.NoIdentityPolicyAllows, Decide(Alice, policy));
        var withIdentity = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}""")] };
        Assert.Equal(AccessDecision.Allow, Decide(withIdentity, policy));
        Assert.Equal(AccessDecision.NoIdentityPolicyAllows, Decide(withIdentity, policy, Ctx(withIdentity, "kms:Decrypt")));
    }

    [Fact]
    public void A_key_policy_naming_the_user_allows_it_without_an_identity_policy()
    {
        var policy = Key("""{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/alice"]},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}""");
        Assert.Equal(AccessDecision.Allow, Decide(Alice, policy));
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Decide(Alice, policy, Ctx(Alice, "kms:ScheduleKeyDeletion")));
        // The root is not named: locked out.
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Decide(Root, policy));
    }

    [Fact]
    public void An_explicit_deny_wins_wherever_it_is()
    {
        var policy = Key(RootAll + ",\n" + """{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}""");
        Assert.Equal(AccessDecision.ExplicitDenyInKeyPolicy, Decide(Root, policy, Ctx(Root, "kms:Decrypt")));
        Assert.Equal(AccessDecision.Allow, Decide(Root, policy));
        var denied = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:*","Resource":"*"}"""), Identity("""{"Effect":"Deny","Action":"kms:Encrypt*","Resource":"*"}""")] };
        Assert.Equal(AccessDecision.ExplicitDenyInIdentityPolicy, Decide(denied, Key(RootAll)));
        // A deny naming the account root applies to every principal of the account.
        var accountDeny = Key(RootAll + ",\n" + """{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:Encrypt","Resource":"*"}""");
        var alice = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:*","Resource":"*"}""")] };
        Assert.Equal(AccessDecision.ExplicitDenyInKeyPolicy, Decide(alice, accountDeny));
    }

    [Theory]
    [InlineData("kms:*", "kms:Encrypt", true)]
    [InlineData("kms:Encrypt*", "kms:EncryptSomething", true)]
    [InlineData("kms:Encrypt*", "kms:Decrypt", false)]
    [InlineData("KMS:encrypt", "kms:Encrypt", true)]
    [InlineData("kms:Re*From", "kms:ReEncryptFrom", true)]
    [InlineData("kms:Generate?ataKey", "kms:GenerateDataKey", true)]
    [InlineData("*", "kms:Sign", true)]
    public void Actions_match_with_wildcards_and_ignore_case(string pattern, string action, bool allowed)
    {
        var policy = Key($$"""{"Effect":"Allow","Principal":"*","Action":"{{pattern}}","Resource":"*"}""");
        Assert.Equal(allowed ? AccessDecision.Allow : AccessDecision.NoKeyPolicyAllows, Decide(Root, policy, Ctx(Root, action)));
    }

    [Fact]
    public void NotAction_NotPrincipal_and_NotResource()
    {
        var notAction = Key("""{"Effect":"Allow","Principal":"*","NotAction":["kms:ScheduleKeyDeletion","kms:Disable*"],"Resource":"*"}""");
        Assert.Equal(AccessDecision.Allow, Decide(Root, notAction));
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Decide(Root, notAction, Ctx(Root, "kms:DisableKey")));
        var notPrincipal = Key(RootAll + ",\n" + """{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}""");
        Assert.Equal(AccessDecision.Allow, Decide(Root, notPrincipal));
        var alice = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:*","Resource":"*"}""")] };
        Assert.Equal(AccessDecision.ExplicitDenyInKeyPolicy, Decide(alice, notPrincipal));
        var notResource = Key("""{"Effect":"Allow","Principal":"*","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/1234abcd-*"}""");
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Decide(Root, notResource));
    }

    [Fact]
    public void Identity_policy_resources_match_key_arns()
    {
        var policy = Key(RootAll);
        var scoped = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-*"}""")] };
        Assert.Equal(AccessDecision.Allow, Decide(scoped, policy));
        var other = Alice with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:Encrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/ffff*"}""")] };
        Assert.Equal(AccessDecision.NoIdentityPolicyAllows, Decide(other, policy));
    }

    [Fact]
    public void Cross_account_use_needs_the_key_policy_and_the_callers_identity_policy()
    {
        var bob = new Principal(Other, $"arn:aws:iam::{Other}:user/bob");
        var bobAllowed = bob with { Policies = [Identity("""{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}""")] };
        var sharing = Key(RootAll + ",\n" + """{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}""");
        Assert.Equal(AccessDecision.NoIdentityPolicyAllows, Authorization.Decide(bob, Account, sharing, Ctx(bob, "kms:Decrypt")));
        Assert.Equal(AccessDecision.Allow, Authorization.Decide(bobAllowed, Account, sharing, Ctx(bobAllowed, "kms:Decrypt")));
        Assert.Equal(AccessDecision.Allow, Authorization.Decide(Principal.Root(Other), Account, sharing, Ctx(Principal.Root(Other), "kms:Decrypt")));
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Authorization.Decide(bobAllowed, Account, Key(RootAll), Ctx(bobAllowed, "kms:Decrypt")));
        // Naming the user directly in another account's key policy still needs its identity policy.
        var direct = Key(RootAll + ",\n" + """{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/bob"},"Action":"kms:Decrypt","Resource":"*"}""");
        Assert.Equal(AccessDecision.NoIdentityPolicyAllows, Authorization.Decide(bob, Account, direct, Ctx(bob, "kms:Decrypt")));
    }

    public static TheoryData<string, bool> ConditionCases => new()
    {
        // kms:EncryptionContext:<key>; ec = {"purpose":"billing","Team":"blue"}
        { """{"StringEquals":{"kms:EncryptionContext:purpose":"billing"}}""", true },
        { """{"StringEquals":{"kms:EncryptionContext:purpose":"other"}}""", false },
        { """{"StringEquals":{"kms:EncryptionContext:Purpose":"billing"}}""", false },
        { """{"StringEquals":{"KMS:ENCRYPTIONCONTEXT:purpose":"billing"}}""", true },
        { """{"StringEqualsIgnoreCase":{"kms:EncryptionContext:purpose":"BILLING"}}""", true },
        { """{"StringNotEquals":{"kms:EncryptionContext:purpose":"billing"}}""", false },
        { """{"StringNotEquals":{"kms:EncryptionContext:missing":"x"}}""", true },
        { """{"StringLike":{"kms:EncryptionContext:purpose":"bil*"}}""", true },
        { """{"StringNotLike":{"kms:EncryptionContext:purpose":"bil*"}}""", false },
        { """{"StringEquals":{"kms:EncryptionContext:missing":"x"}}""", false },
        { """{"StringEqualsIfExists":{"kms:EncryptionContext:missing":"x"}}""", true },
        { """{"StringEqualsIfExists":{"kms:EncryptionContext:purpose":"x"}}""", false },
        { """{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["purpose","Team","extra"]}}""", true },
        { """{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["purpose"]}}""", false },
        { """{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["Team"]}}""", true },
        { """{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":["nope"]}}""", false },
        { """{"Null":{"kms:EncryptionContextKeys":"false"}}""", true },
        { """{"Null":{"kms:EncryptionContext:missing":"true"}}""", true },
        { """{"Null":{"kms:EncryptionContext:purpose":"true"}}""", false },
        // Several values are ORed; several keys and operators are ANDed.
        { """{"StringEquals":{"kms:EncryptionContext:purpose":["x","billing"]}}""", true },
        { """{"StringEquals":{"kms:EncryptionContext:purpose":"billing","kms:CallerAccount":"999999999999"}}""", false },
        { """{"StringEquals":{"kms:EncryptionContext:purpose":"billing"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/al*"}}""", true },
        // Other keys and operators.
        { """{"StringEquals":{"kms:CallerAccount":"111122223333"}}""", true },
        { """{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT","kms:KeyUsage":"ENCRYPT_DECRYPT"}}""", true },
        { """{"StringEquals":{"kms:RequestAlias":"alias/app"}}""", true },
        { """{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/ap*"}}""", true },
        { """{"ForAnyValue:StringLike":{"kms:ResourceAliases":"alias/zz*"}}""", false },
        { """{"Bool":{"kms:GrantIsForAWSResource":"true"}}""", false },
        { """{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}""", false },
        { """{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}""", true },
        { """{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/x"}}""", false },
        { """{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}""", true },
        { """{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}""", true },
        { """{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","10.1.2.3"]}}""", true },
        { """{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}""", false },
        { """{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}""", true },
        { """{"DateLessThan":{"aws:CurrentTime":"2026-01-01"}}""", false },
        { """{"DateLessThanEquals":{"aws:EpochTime":"1780272000"}}""", true },
        { """{"NumericLessThan":{"aws:EpochTime":"1000"}}""", false },
        { """{"NumericGreaterThanEquals":{"aws:EpochTime":1000}}""", true },
    };

    [Theory]
    [MemberData(nameof(ConditionCases))]
    public void Conditions_evaluate_as_IAM_documents(string condition, bool allowed)
    {
        var policy = Key($$"""{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{{condition}}}""");
        var ctx = Ctx(Alice, ec: new Dictionary<string, string> { ["purpose"] = "billing", ["Team"] = "blue" }, alias: "alias/app", aliases: ["alias/app", "alias/other"]);
        Assert.Equal(allowed ? AccessDecision.Allow : AccessDecision.NoKeyPolicyAllows, Authorization.Decide(Alice, Account, policy, ctx));
    }

    [Fact]
    public void Without_an_encryption_context_the_set_operators_differ()
    {
        var all = Key("""{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":"a"}}}""");
        var any = Key("""{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"a"}}}""");
        Assert.Equal(AccessDecision.Allow, Authorization.Decide(Alice, Account, all, Ctx(Alice)));
        Assert.Equal(AccessDecision.NoKeyPolicyAllows, Authorization.Decide(Alice, Account, any, Ctx(Alice)));
    }

    [Theory]
    [InlineData("""{"Statement":[]}""", "non-empty")]
    [InlineData("""[1]""", "JSON object")]
    [InlineData("""{"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}""", "Version")]
    [InlineData("""{"Statement":{"Effect":"Permit","Principal":"*","Action":"kms:*","Resource":"*"}}""", "Effect")]
    [InlineData("""{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}""", "Principal")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*","Resource":"*"}}""", "invalid principals")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"Encrypt","Resource":"*"}}""", "invalid action")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*"}}""", "Resource")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringSorta":{"a":"b"}}}}""", "condition operator")]
    [InlineData("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Extra":1}}""", "unknown element")]
    [InlineData("""{"Statement":[{"Sid":"a","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}""", "unique")]
    public void Malformed_policies_are_refused_with_the_reason(string policy, string reason)
    {
        var e = Assert.Throws<KmsException>(() => PolicyDocument.Parse(policy, keyPolicy: true));
        Assert.Equal(KmsErrorCode.MalformedPolicyDocumentException, e.Code);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Identity_policies_may_not_name_a_principal()
    {
        var e = Assert.Throws<KmsException>(() => PolicyDocument.Parse("""{"Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}""", keyPolicy: false));
        Assert.Contains("identity policy", e.Message);
    }

    [Fact]
    public void Access_denied_messages_read_as_AWS_writes_them()
    {
        Assert.Equal($"User: {Alice.Arn} is not authorized to perform: kms:Encrypt on resource: {KeyArn} because no resource-based policy allows the kms:Encrypt action",
            Authorization.Message(AccessDecision.NoKeyPolicyAllows, Alice.Arn, "kms:Encrypt", KeyArn));
        Assert.EndsWith("with an explicit deny in a resource-based policy", Authorization.Message(AccessDecision.ExplicitDenyInKeyPolicy, Alice.Arn, "kms:Encrypt", KeyArn));
        Assert.EndsWith("because no identity-based policy allows the kms:Encrypt action", Authorization.Message(AccessDecision.NoIdentityPolicyAllows, Alice.Arn, "kms:Encrypt", KeyArn));
    }

    [Theory]
    [InlineData("a*c", "abbbc", true)]
    [InlineData("a*c", "abbbd", false)]
    [InlineData("*", "", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("**a*", "xxa", true)]
    [InlineData("", "", true)]
    [InlineData("", "a", false)]
    [InlineData("abc", "abc", true)]
    [InlineData("abc", "abcd", false)]
    [InlineData("a*", "a", true)]
    [InlineData("*a", "ba", true)]
    [InlineData("*a", "ab", false)]
    [InlineData("a*b*c", "axxbyyc", true)]
    [InlineData("a*b*c", "axxcyyb", false)]
    [InlineData("a*a", "a", false)]
    [InlineData("*ab*ab*", "abab", true)]
    [InlineData("*ab*ab*", "aba", false)]
    [InlineData("*a?c*", "xxabcxx", true)]
    [InlineData("*?b?*", "ab", false)]
    [InlineData("*??*", "a", false)]
    [InlineData("*??*", "ab", true)]
    [InlineData("x*?a?b*y", "xqaqbqy", true)]
    [InlineData("x*?a?b*y", "xaqby", false)]
    [InlineData("*a*a*a*", "aa", false)]
    public void Wildcards(string pattern, string text, bool match) => Assert.Equal(match, Wildcard.Match(pattern, text, ignoreCase: false));

    [Fact]
    public void Wildcards_agree_with_a_regular_expression_on_many_random_cases()
    {
        var random = new Random(20261201);
        for (var n = 0; n < 20000; n++)
        {
            var pattern = new string(Enumerable.Range(0, random.Next(0, 8)).Select(_ => "ab*?"[random.Next(4)]).ToArray());
            var text = new string(Enumerable.Range(0, random.Next(0, 10)).Select(_ => "abA"[random.Next(3)]).ToArray());
            var regex = "^" + string.Concat(pattern.Select(c => c switch { '*' => ".*", '?' => ".", _ => c.ToString() })) + "$";
            foreach (var ignoreCase in new[] { false, true })
            {
                var options = System.Text.RegularExpressions.RegexOptions.Singleline |
                              (ignoreCase ? System.Text.RegularExpressions.RegexOptions.IgnoreCase : 0);
                Assert.True(System.Text.RegularExpressions.Regex.IsMatch(text, regex, options) == Wildcard.Match(pattern, text, ignoreCase),
                    $"'{pattern}' on '{text}', ignoreCase {ignoreCase}");
            }
        }
    }

    /// <summary>A pattern and a value that made the backtracking matcher spend seconds: one pass now (and the answer is right).</summary>
    [Fact]
    public void A_hostile_pattern_is_matched_in_one_pass()
    {
        var pattern = "*" + new string('a', 8000) + "b";
        Assert.False(Wildcard.Match(pattern, new string('a', 200_000), ignoreCase: false));
        Assert.True(Wildcard.Match(pattern, new string('a', 200_000) + "b", ignoreCase: false));
        Assert.False(Wildcard.Match("*?" + new string('a', 8000) + "b", new string('a', 200_000), ignoreCase: true));
    }
}
