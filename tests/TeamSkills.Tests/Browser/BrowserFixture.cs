using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TeamSkills.Tests.Integration;

namespace TeamSkills.Tests.Browser;

/// <summary>
/// One app on a real loopback port and one headless Debian Chromium (/usr/bin/chromium, never a downloaded browser)
/// shared by the browser tests. Without Chromium the tests skip with the reason, except under CI=true, where they fail.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string AdminEmail = "lnd.admin@example.com";
    public const string AdminPassword = "a long enough passphrase 42";

    public AppFactory App { get; } = new AppFactory
        {
            // Chromium and SignalR live on the real clock (see there).
            TestServices = AppFactory.CookiesOnTheRealClock,
        }
        .With("TeamSkills:Auth:FirstAdminEmail", AdminEmail)
        .With("TeamSkills:Auth:FirstAdminPassword", AdminPassword)
        // Every browser test signs in from 127.0.0.1; the production limit (10 a minute per address) would answer 429.
        .With("TeamSkills:RateLimits:SignInPerMinute", "1000");

    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }
    public HttpClient Admin { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public string? Missing { get; private set; }
    public const string MiaPassword = "mia's own passphrase 7";

    public static string ArtifactsDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TeamSkills.sln"))) dir = dir.Parent;
            var path = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "tests", "results", "screenshots");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Missing = $"Chromium is not installed at {ChromiumPath} (tests/run.sh installs Debian's chromium as root).";
            return;
        }
        BaseAddress = App.UseRealServer();
        Admin = App.Api();
        Assert.Equal(HttpStatusCode.OK, (await Admin.UploadCsv("/api/imports/roster", Data.Roster(
            "E6,<img src=x onerror=window.__xss=1>,x@example.com,Platform,mia@example.com,Site Reliability Engineer"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Admin.UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);
        await Admin.PostAsJsonAsync("/api/users", new { email = "mia@example.com", role = "Manager" });
        // Mia's password is set the way the reset page would set it, so the browser signs her in like anyone else.
        using (var scope = App.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<Core.Access.AppUser>>();
            var mia = await users.FindByEmailAsync("mia@example.com");
            Assert.True((await users.AddPasswordAsync(mia!, MiaPassword)).Succeeded);
        }

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public void SkipUnlessReady()
    {
        if (Missing is null) return;
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException("CI=true and " + Missing);
        Skip.If(true, Missing);
    }

    public async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser!.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        await App.DisposeAsync();
    }
}
