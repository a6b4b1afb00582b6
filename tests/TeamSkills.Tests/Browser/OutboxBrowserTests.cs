using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TeamSkills.Web.Features.Email;

namespace TeamSkills.Tests.Browser;

/// <summary>The outbox page (mail kept with no SMTP server) as an Admin reads a message in Chromium.</summary>
public sealed class OutboxBrowserTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    [SkippableFact]
    public async Task OutboxMessage_ALinkInTheMail_OpensTheAppInANewTab_OutsideTheSandbox()
    {
        fx.SkipUnlessReady();
        var subject = "Choose your password " + Guid.NewGuid().ToString("N")[..8];
        await fx.App.Services.GetRequiredService<IMailer>().SendAsync(new OutgoingMail("newcomer@example.com", subject, "text part",
            $"<!DOCTYPE html><html><head><title>t</title></head><body><p><a id=\"choose\" href=\"{fx.BaseAddress}signin\">Choose your password</a></p></body></html>"), default);
        var page = await fx.NewPageAsync();
        await DashboardTests.SignInWithPasswordAsync(page);
        await page.GotoAsync("/outbox");
        await page.ClickAsync($"text={subject}");
        var message = page.Url;
        var frame = page.FrameLocator("iframe.mail-html");
        await Assertions.Expect(frame.Locator("#choose")).ToBeVisibleAsync();

        // Followed inside the frame, the link loaded the sign-in page into the sandbox, where its form could not be sent.
        var popup = await page.Context.RunAndWaitForPageAsync(() => frame.Locator("#choose").ClickAsync());
        await popup.WaitForLoadStateAsync();
        Assert.EndsWith("/signin", popup.Url);
        Assert.NotEqual("null", await popup.EvaluateAsync<string>("() => window.origin"));
        await Assertions.Expect(popup.Locator("#email")).ToBeVisibleAsync();
        Assert.Equal(message, page.Url);
        Assert.Equal("about:srcdoc", page.Frames.Single(f => f != page.MainFrame).Url);
        await page.Context.CloseAsync();
    }
}
