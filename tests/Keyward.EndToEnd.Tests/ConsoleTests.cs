using System.Net;
using Amazon.KeyManagementService.Model;
using Keyward.EndToEnd.Tests.Infrastructure;
using Keyward.Pkcs11;
using Keyward.Tests.Shared;
using Microsoft.Playwright;

namespace Keyward.EndToEnd.Tests;

/// <summary>
/// The console at /console/ in a real browser (Debian's chromium through Playwright) against a real server: sign in,
/// create a key with an alias and a tag, edit its policy (a malformed one is refused with AWS's message), disable and
/// enable it, encrypt and decrypt in the playground, find those calls in the audit trail, and sign in as a user whose
/// policy denies the key. The screenshots in docs/console/ are taken here, so they show the console as it is.
/// </summary>
public sealed class ConsoleTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("keyward-console").FullName;
    private readonly ServerFixture _server;
    private readonly Browser _browser = new();

    public ConsoleTests() => _server = new ServerFixture { IdentitiesFile = TestIdentities.Write(_dir) };

    public Task InitializeAsync() => _server.InitializeAsync();

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string Console => new Uri(_server.Url, "/console/").ToString();

    private static string Screenshots
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Keyward.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return Directory.CreateDirectory(Path.Combine(dir.FullName, "docs", "console")).FullName;
        }
    }

    private static async Task SignInAsync(IPage page, string accessKeyId, string secret)
    {
        await page.FillAsync("#access-key-id", accessKeyId);
        await page.FillAsync("#secret-access-key", secret);
        await page.ClickAsync("#sign-in");
    }

    private static ILocator Section(IPage page, string title) => page.Locator($"section[data-section='{title}']");

    [Fact]
    public async Task A_user_manages_a_key_uses_it_and_finds_the_calls_in_the_audit_trail()
    {
        var page = await _browser.OpenAsync();
        await page.GotoAsync(Console);
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in to Keyward");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "sign-in.png") });

        // A wrong secret is refused with the server's error, and nothing is signed in.
        await SignInAsync(page, ServerFixture.AccessKeyId, "not-the-secret");
        await Assertions.Expect(page.Locator(".sign-in-status .error-type")).ToHaveTextAsync("InvalidSignatureException");

        await SignInAsync(page, ServerFixture.AccessKeyId, ServerFixture.SecretAccessKey);
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("no keys yet");
        await Assertions.Expect(page.Locator("#who .who-key")).ToHaveTextAsync(ServerFixture.AccessKeyId);

        // Create a key with an alias and a tag.
        await page.ClickAsync("#create-key");
        await page.FillAsync("#new-description", "console key");
        await page.FillAsync("#new-alias", "alias/console-demo");
        await page.FillAsync("#new-tag-key", "team");
        await page.FillAsync("#new-tag-value", "blue");
        await page.ClickAsync("#new-submit");
        await Assertions.Expect(page.Locator("#key-id")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[0-9a-f-]{36}$"));
        var keyId = await page.Locator("#key-id").TextContentAsync();
        await Assertions.Expect(Section(page, "Aliases")).ToContainTextAsync("alias/console-demo");
        await Assertions.Expect(Section(page, "Tags")).ToContainTextAsync("blue");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Enabled");
        using (var kms = _server.Client())
        {
            var described = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = "alias/console-demo" });
            Assert.Equal(keyId, described.KeyMetadata.KeyId);
            Assert.Equal("console key", described.KeyMetadata.Description);
            var tags = await kms.ListResourceTagsAsync(new ListResourceTagsRequest { KeyId = keyId });
            Assert.Equal(("team", "blue"), (tags.Tags.Single().TagKey, tags.Tags.Single().TagValue));
        }

        // The policy editor: text that is not JSON is stopped in the page; a malformed policy gets AWS's answer.
        await Assertions.Expect(page.Locator("#policy-editor")).ToContainTextAsync("\"Statement\"");
        var original = await page.InputValueAsync("#policy-editor");
        await page.FillAsync("#policy-editor", "{ not json");
        await Assertions.Expect(page.Locator("#policy-status .error-type")).ToHaveTextAsync("Invalid JSON");
        await page.FillAsync("#policy-editor", """{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Principal":"*","Action":"kms:*","Resource":"*"}]}""");
        await page.ClickAsync("#save-policy");
        await Assertions.Expect(page.Locator("#policy-status .error-type")).ToHaveTextAsync("MalformedPolicyDocumentException");
        var allowAuditor = original.Replace("\"Statement\": [", $$"""
            "Statement": [ { "Sid": "Auditor", "Effect": "Allow", "Principal": { "AWS": "{{TestIdentities.Arn("auditor")}}" },
              "Action": "kms:DescribeKey", "Resource": "*" },
            """);
        Assert.NotEqual(original, allowAuditor);
        await page.FillAsync("#policy-editor", allowAuditor);
        await page.ClickAsync("#save-policy");
        await Assertions.Expect(page.Locator("#policy-status")).ToHaveTextAsync("Saved.");
        using (var kms = _server.Client())
            Assert.Contains("\"Auditor\"", (await kms.GetKeyPolicyAsync(new GetKeyPolicyRequest { KeyId = keyId, PolicyName = "default" })).Policy);

        // Disable, then enable.
        await page.ClickAsync("#disable-key");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Disabled");
        await page.ClickAsync("#enable-key");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Enabled");
        // Schedule deletion in 7 days, then cancel it (the key comes back disabled, as in AWS), then enable it again.
        await page.FillAsync("#deletion-days", "7");
        await page.ClickAsync("#schedule-deletion");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("PendingDeletion");
        await Assertions.Expect(Section(page, "Metadata")).ToContainTextAsync("Deletion date");
        await page.ClickAsync("#cancel-deletion");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Disabled");
        await page.ClickAsync("#enable-key");
        await Assertions.Expect(page.Locator("#key-state")).ToHaveTextAsync("Enabled");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "key.png"), FullPage = true });

        // The playground: encrypt, then decrypt what came back.
        await page.ClickAsync("nav a[data-view='playground']");
        await page.FillAsync("#play-key", "alias/console-demo");
        await page.FillAsync("#play-input", "hello from the console");
        await page.ClickAsync("#play-run");
        await Assertions.Expect(page.Locator("#play-result")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[A-Za-z0-9+/=]{60,}$"));
        var ciphertext = await page.Locator("#play-result").TextContentAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "playground.png") });
        await page.SelectOptionAsync("#play-operation", "Decrypt");
        await page.FillAsync("#play-key", "");
        await page.FillAsync("#play-input", ciphertext!);
        await page.ClickAsync("#play-run");
        await Assertions.Expect(page.Locator("#play-result")).ToHaveTextAsync("hello from the console");

        // The keys list, filtered by tag and state.
        await page.ClickAsync("nav a[data-view='keys']");
        await Assertions.Expect(page.Locator($"tr[data-key-id='{keyId}']")).ToContainTextAsync("alias/console-demo");
        await page.FillAsync("#filter-tag", "team=green");
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("No key matches");
        await page.FillAsync("#filter-tag", "team=blue");
        await page.SelectOptionAsync("#filter-state", "Enabled");
        await Assertions.Expect(page.Locator($"tr[data-key-id='{keyId}']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "keys.png") });

        // The audit trail has those calls, each with its CloudTrail JSON.
        await _server.Host.FlushAuditAsync();
        await page.ClickAsync("nav a[data-view='audit']");
        await page.SelectOptionAsync("#audit-attribute", "ResourceName");
        await page.FillAsync("#audit-value", keyId!);
        await page.ClickAsync("#audit-search");
        await Assertions.Expect(page.Locator($"#audit-results[data-state='done'][data-filter='ResourceName={keyId}']")).ToBeVisibleAsync();
        // Older pages, until there are none (50 events a page).
        for (var pages = 0; pages < 20 && await page.Locator("#audit-more").CountAsync() > 0; pages++)
        {
            var before = await page.Locator("tr.event").CountAsync();
            await page.ClickAsync("#audit-more");
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('tr.event').length > {before}");
        }
        foreach (var name in new[] { "CreateKey", "CreateAlias", "PutKeyPolicy", "DisableKey", "EnableKey", "Encrypt", "Decrypt" })
            await Assertions.Expect(page.Locator($"tr.event[data-event-name='{name}']").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("tr.event[data-event-name='PutKeyPolicy']")).ToHaveCountAsync(2); // refused, then saved
        await page.Locator("tr.event[data-event-name='Encrypt']").First.ClickAsync();
        await Assertions.Expect(page.Locator("tr.detail:visible pre")).ToContainTextAsync("\"eventSource\": \"kms.amazonaws.com\"");
        await Assertions.Expect(page.Locator("tr.event[data-event-name='Encrypt'] td.chain").First).ToHaveTextAsync("✓ verified");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "audit.png") });

        await page.ClickAsync("nav a[data-view='stores']");
        await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("no custom key stores");

        // A grant made through the API is listed, and revoked from the page.
        using (var kms = _server.Client())
        {
            await kms.CreateGrantAsync(new CreateGrantRequest
            {
                KeyId = keyId, GranteePrincipal = TestIdentities.Arn("app"), Operations = ["Decrypt"], Name = "console-grant",
            });
            await page.ClickAsync("nav a[data-view='grants']");
            var grant = page.Locator("tr", new() { HasText = "console-grant" });
            await Assertions.Expect(grant).ToContainTextAsync(TestIdentities.Arn("app"));
            await grant.Locator("button", new() { HasText = "Revoke" }).ClickAsync();
            await Assertions.Expect(page.Locator(".empty")).ToContainTextAsync("No grants");
            Assert.Empty((await kms.ListGrantsAsync(new ListGrantsRequest { KeyId = keyId })).Grants ?? []);
        }

        // Sign and verify in the playground with an ECC key; a changed message does not verify.
        using (var kms = _server.Client())
        {
            var signer = await kms.CreateKeyAsync(new CreateKeyRequest { KeySpec = "ECC_NIST_P256", KeyUsage = "SIGN_VERIFY" });
            await kms.CreateAliasAsync(new CreateAliasRequest { AliasName = "alias/console-signer", TargetKeyId = signer.KeyMetadata.KeyId });
        }
        await page.ClickAsync("nav a[data-view='playground']");
        await page.FillAsync("#play-key", "alias/console-signer");
        await page.SelectOptionAsync("#play-operation", "Sign");
        await Assertions.Expect(page.Locator("#play-algorithm option")).ToHaveCountAsync(1); // P-256 signs with ECDSA_SHA_256 only
        await page.SelectOptionAsync("#play-algorithm", "ECDSA_SHA_256");
        await page.FillAsync("#play-input", "signed in the browser");
        await page.ClickAsync("#play-run");
        await Assertions.Expect(page.Locator("#play-result")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^[A-Za-z0-9+/=]{90,}$"));
        var signature = await page.Locator("#play-result").TextContentAsync();
        await page.SelectOptionAsync("#play-operation", "Verify");
        await Assertions.Expect(page.Locator("#play-algorithm option")).ToHaveCountAsync(1);
        await page.SelectOptionAsync("#play-algorithm", "ECDSA_SHA_256");
        await page.FillAsync("#play-signature", signature!);
        await page.ClickAsync("#play-run");
        await Assertions.Expect(page.Locator("#play-valid")).ToHaveTextAsync("The signature is valid.");
        await page.FillAsync("#play-input", "signed in the browser!");
        await page.ClickAsync("#play-run");
        await Assertions.Expect(page.Locator("#play-valid")).ToContainTextAsync("not valid");

        // Sign out: the page forgets the key; then a user whose policies do not allow the key sees the refusal only.
        await page.ClickAsync("#sign-out");
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Sign in to Keyward");
        Assert.Equal("null", await page.EvaluateAsync<string>("() => String(sessionStorage.getItem('keyward.console.session'))"));
        // Remembered in the tab: a reload keeps the session (and only sessionStorage holds it).
        await page.CheckAsync("#remember");
        await SignInAsync(page, "AKIAAPPUSER000000001", "app-secret-0123456789abcdef");
        await Assertions.Expect(page.Locator("#who .who-key")).ToHaveTextAsync("AKIAAPPUSER000000001");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#who .who-key")).ToHaveTextAsync("AKIAAPPUSER000000001");
        Assert.Empty(await page.Context.CookiesAsync());
        await page.GotoAsync(Console + "#/keys/" + keyId);
        await Assertions.Expect(page.Locator(".error-box .error-type")).ToHaveTextAsync("AccessDeniedException");
        await Assertions.Expect(Section(page, "Metadata")).ToHaveCountAsync(0);
        Assert.DoesNotContain("console key", await page.ContentAsync());

        // Nothing the page asked for left the server's origin, and no URL carried the secret.
        lock (_browser.Requests)
        {
            Assert.NotEmpty(_browser.Requests);
            Assert.All(_browser.Requests, url => Assert.StartsWith(_server.Url.GetLeftPart(UriPartial.Authority), url));
            Assert.DoesNotContain(_browser.Requests, url => url.Contains(ServerFixture.SecretAccessKey, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_console_is_served_with_a_strict_policy_and_can_be_turned_off()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = _server.Url };
        using var page = await http.GetAsync("/console/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Contains("default-src 'none'", csp);
        Assert.DoesNotContain("unsafe", csp);
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotMatch("<script>|<script [^>]*>[^<]+</script>| on[a-z]+=|style=", html); // no inline script or style

        using var bare = await http.GetAsync("/console");
        Assert.Equal(HttpStatusCode.PermanentRedirect, bare.StatusCode);
        Assert.Equal("/console/", bare.Headers.Location?.ToString());
        using var missing = await http.GetAsync("/console/nothing-here.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        using var script = await http.GetAsync("/console/js/app.js");
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var again = new HttpRequestMessage(HttpMethod.Get, "/console/js/app.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", script.Headers.ETag!.Tag);
        using var notModified = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        await using var off = new ServerFixture { WebConsole = false };
        await off.InitializeAsync();
        using var offHttp = new HttpClient { BaseAddress = off.Url };
        using var refused = await offHttp.GetAsync("/console/");
        Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
        Assert.DoesNotContain("Keyward console", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_key_stores_page_shows_an_hsm_key_store_and_connects_and_disconnects_it()
    {
        const string Cluster = "cluster-keywardconsole";
        await using var server = new ServerFixture
        {
            LifecycleJob = false,
            Hsm = new HsmConfiguration
            {
                Clusters = [new HsmClusterOptions { Id = Cluster, Module = SoftHsm.Module, Hsms = [new HsmOptions { Token = SoftHsm.NewToken() }] }],
            },
        };
        await server.InitializeAsync();
        string storeId;
        using (var kms = server.Client())
            storeId = (await kms.CreateCustomKeyStoreAsync(new CreateCustomKeyStoreRequest
            {
                CustomKeyStoreName = "console-hsm", CloudHsmClusterId = Cluster, KeyStorePassword = SoftHsm.Pin,
                TrustAnchorCertificate = CustomKeyStoreTests.SelfSignedPem("keyward console cluster"),
            })).CustomKeyStoreId;

        var page = await _browser.OpenAsync();
        await page.GotoAsync(new Uri(server.Url, "/console/#/stores").ToString());
        await SignInAsync(page, ServerFixture.AccessKeyId, ServerFixture.SecretAccessKey);
        var row = page.Locator($"tr[data-store-id='{storeId}']");
        await Assertions.Expect(row).ToContainTextAsync("console-hsm");
        await Assertions.Expect(row).ToContainTextAsync(Cluster);
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("DISCONNECTED");
        await row.Locator("button", new() { HasText = "Connect" }).ClickAsync();
        // The store connects in the background; the page shows what DescribeCustomKeyStores says on Refresh.
        for (var i = 0; i < 60 && await row.Locator(".badge").TextContentAsync() != "CONNECTED"; i++)
        {
            await Task.Delay(500);
            await page.ClickAsync("text=Refresh");
        }
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("CONNECTED");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "stores.png") });
        await row.Locator("button", new() { HasText = "Disconnect" }).ClickAsync();
        await Assertions.Expect(row.Locator(".badge")).ToHaveTextAsync("DISCONNECTED");
        using (var kms = server.Client())
            Assert.Equal("DISCONNECTED", (await kms.DescribeCustomKeyStoresAsync(new DescribeCustomKeyStoresRequest { CustomKeyStoreId = storeId }))
                .CustomKeyStores.Single().ConnectionState.Value);
    }
}
