using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Web.Features.Digests;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// SMTP going down in the middle of a digest run (the demo organisation: nine managers): the run fails after some
/// digests went out, and after recovery the retry sends exactly the rest, so every manager gets exactly one.
/// </summary>
public sealed class SmtpMidRunOutageTests : IAsyncLifetime
{
    private readonly SmtpServer smtp = new();
    private AppFactory _app = null!;

    public async Task InitializeAsync()
    {
        await smtp.InitializeAsync();
        if (smtp.Unavailable is not null) return;
        _app = new AppFactory().WithSmtp(smtp).With("TeamSkills:Demo", "true");
        _ = _app.Api(); // starts the host: the demo organisation loads
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        await smtp.DisposeAsync();
    }

    private async Task<int> RunDigestsAsync()
    {
        await using var scope = _app.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<ManagerDigestJob>().RunAsync(CancellationToken.None);
    }

    [SkippableFact]
    public async Task SmtpDownMidRun_TheRetryAfterRecoverySendsExactlyTheRest()
    {
        smtp.SkipIfUnavailable();
        var managers = (int)_app.Scalar("SELECT COUNT(DISTINCT manager_email) FROM teams WHERE manager_email IS NOT NULL");
        Assert.True(managers >= 6, $"the demo organisation has {managers} managers");

        // The server accepts three messages, then answers 421 to everything.
        smtp.Stop();
        await smtp.StartAsync(failAfter: 3);
        await Assert.ThrowsAnyAsync<Exception>(RunDigestsAsync); // a 4xx fails the job: Hangfire retries it
        Assert.Equal(3, smtp.Messages().Count);
        Assert.Equal(3, _app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND outcome = 'Sent'"));

        // Still down: the retry sends nothing new and loses nothing.
        await Assert.ThrowsAnyAsync<Exception>(RunDigestsAsync);
        Assert.Equal(3, smtp.Messages().Count);

        // Recovery: the retry sends exactly the others; a further run sends nothing.
        smtp.Stop();
        await smtp.StartAsync();
        Assert.Equal(managers - 3, await RunDigestsAsync());
        Assert.Equal(0, await RunDigestsAsync());

        var perRecipient = smtp.Messages().SelectMany(m => m.Recipients).GroupBy(r => r, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(managers, perRecipient.Count);
        Assert.All(perRecipient, g => Assert.True(g.Count() == 1, $"{g.Key} received {g.Count()} digests"));
        Assert.Equal(managers, _app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND outcome = 'Sent'"));
        Assert.Equal(0, _app.Scalar("SELECT COUNT(*) FROM sent_messages WHERE kind = 'digest' AND outcome <> 'Sent'"));
    }
}
