using System.Threading.Channels;
using Microsoft.AspNetCore.Identity;
using TeamSkills.Core.Access;

namespace TeamSkills.Web.Features.Access;

/// <summary>
/// The forgot-password form's mails, sent after the answer rather than during it. The form answers at once and the
/// same way whether or not the address has an account; sending inline made an existing account's answer slower, and
/// a mail server that was down turned it into an error, both telling a stranger which addresses have accounts.
/// <para>Per address, at most one mail a minute (<see cref="PasswordLinks.SentInTheLastMinuteAsync"/>, as for an
/// Admin's resend); per client address, the sign-in rate limit applies to the form itself. A full queue drops new
/// requests (the form still answers the same): the person asks again. The audit entry's actor is "anonymous", with
/// the address that asked.</para>
/// </summary>
public sealed class ForgotPasswordMails(IServiceScopeFactory scopes, ILogger<ForgotPasswordMails> log) : BackgroundService
{
    public sealed record Request(string Email, string? Ip);

    private readonly Channel<Request> _queue = Channel.CreateBounded<Request>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    private int _pending;

    /// <summary>Nothing queued or being sent (tests wait for it).</summary>
    public bool IsIdle => Volatile.Read(ref _pending) == 0;

    public void Enqueue(string email, string? ip)
    {
        Interlocked.Increment(ref _pending);
        if (_queue.Writer.TryWrite(new Request(email, ip))) return;
        Interlocked.Decrement(ref _pending);
        log.LogWarning("Forgot-password queue full: a request was dropped");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try { await SendAsync(request, stoppingToken); }
                finally { Interlocked.Decrement(ref _pending); }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private async Task SendAsync(Request request, CancellationToken ct)
    {
        try
        {
            using var scope = scopes.CreateScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
            var links = scope.ServiceProvider.GetRequiredService<PasswordLinks>();
            if (await users.FindByEmailAsync(request.Email) is not { } user) return;
            if (await links.SentInTheLastMinuteAsync(user.Email!, ct))
            {
                log.LogInformation("Forgot password for {Email}: a link went less than a minute ago; not sending another", user.Email);
                return;
            }
            await links.SendAsync(user, "anonymous", ct, details: new { via = "forgot-password form", ip = request.Ip });
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The mail server's own words stay in the log; the person can ask again.
            log.LogWarning(e, "The forgot-password link for {Email} could not be sent", request.Email);
        }
    }
}
