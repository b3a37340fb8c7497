using Microsoft.Playwright;

namespace Keyward.EndToEnd.Tests.Infrastructure;

/// <summary>
/// Debian's chromium, headless, driven by Playwright (its .NET package brings the driver; no browser is downloaded:
/// the executable is Debian's, or KEYWARD_CHROMIUM's). Every request the page makes is recorded, so a test can check
/// that nothing left the server's origin.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public static string Executable => Environment.GetEnvironmentVariable("KEYWARD_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public List<string> Requests { get; } = [];

    public async Task<IPage> OpenAsync()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: run scripts/test, which installs Debian's chromium");
        _playwright ??= await Playwright.CreateAsync();
        // --no-sandbox: the tests may run as root, where chromium's sandbox refuses to start.
        _browser ??= await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Executable, Headless = true, Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        // Conditions are awaited with generous deadlines; a busy machine is slow, not wrong.
        context.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(30_000);
        var page = await context.NewPageAsync();
        page.Request += (_, request) => { lock (Requests) Requests.Add(request.Url); };
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
