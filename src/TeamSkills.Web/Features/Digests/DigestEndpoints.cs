using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Tracking;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Email;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Digests;

public static class DigestEndpoints
{
    /// <summary>The first of the listening addresses (';'-separated), with a wildcard host as localhost; null if none is usable.</summary>
    public static string? ListeningUrl(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .FirstOrDefault(u => u.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (first is null) return null;
        var url = System.Text.RegularExpressions.Regex.Replace(first, @"^(https?://)(\*|\+|0\.0\.0\.0|\[::\])(?=[:/]|$)", "$1localhost",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.GetLeftPart(UriPartial.Authority) : null;
    }

    public static WebApplicationBuilder AddDigests(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<DigestOptions>().BindConfiguration(DigestOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ReminderThresholds.Length > 0 && o.ReminderThresholds.All(t => t is >= 0 and <= 365),
                "TeamSkills:Digests:ReminderThresholds must be days between 0 and 365.")
            .Validate(o => o.LndRecipients.All(r => Imports.ImportSupport.IsValidEmail(r.Trim())),
                "TeamSkills:Digests:LndRecipients must be email addresses.")
            .ValidateOnStart();
        // Links in mail point at the dashboard. Without TeamSkills:Digests:PublicUrl, they follow the address the app
        // listens on (--urls, ASPNETCORE_URLS, the launch profile), so a second instance on another port does not mail
        // links to the first one's; a wildcard host becomes localhost. Behind a proxy, set PublicUrl.
        // Read from the configuration as the host finally built it (sources added after this point included), when the
        // options are first used; PublicUrl has a default, so "not set" is asked of the configuration, not the options.
        builder.Services.AddOptions<DigestOptions>().PostConfigure<IConfiguration>((o, config) =>
        {
            if (string.IsNullOrWhiteSpace(config[$"{DigestOptions.Section}:{nameof(DigestOptions.PublicUrl)}"])
                && ListeningUrl(config["urls"]) is { } listening)
                o.PublicUrl = listening;
        });
        builder.Services.AddSingleton<DigestLinks>();
        builder.Services.AddScoped<DigestBuilder>();
        builder.Services.AddScoped<SendLog>();
        builder.Services.AddScoped<ManagerDigestJob>();
        builder.Services.AddScoped<RenewalRemindersJob>();
        builder.Services.AddScoped<LndReportJob>();
        return builder;
    }

    public static RouteGroupBuilder MapDigests(this RouteGroupBuilder api)
    {
        var digests = api.MapGroup("/digests").WithTags("Digests");

        // What a manager's next digest would say, rendered, without sending anything (Admin).
        digests.MapGet("/preview", async (string? manager, DigestBuilder builder, SendLog log, EmailTemplates templates, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(manager) || !Imports.ImportSupport.IsValidEmail(manager.Trim()))
                return Results.Problem(statusCode: 400, title: "Invalid manager", detail: "Give the manager's email as ?manager=EMAIL.");
            var email = manager.Trim().ToLowerInvariant();
            if (!(await builder.ManagersAsync(ct)).Contains(email))
                return Results.Problem(statusCode: 404, title: "Manager not found", detail: $"'{email}' is no manager_email of the active roster.");
            var digest = await builder.BuildAsync(email, ct);
            var mail = await templates.RenderAsync("digest", digest, ct);
            var reason = await builder.WhyNotAsync(digest, log, ct);
            return Results.Ok(new DigestPreview(digest, mail.Subject, mail.Text, mail.Html, reason is null, reason));
        }).RequireAuthorization(AccessSetup.AdminPolicy);

        digests.MapPut("/preferences/{email}", async (string email, SetDigestPreference body, TeamSkillsDbContext db, OrgClock clock,
            AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            if (!Enum.TryParse<DigestFrequency>(body.Frequency, ignoreCase: true, out var frequency) || !Enum.IsDefined(frequency))
                return Results.ValidationProblem(new Dictionary<string, string[]> { ["frequency"] = ["frequency must be weekly, monthly or off."] },
                    statusCode: 422, title: "Preference rejected");
            var saved = await SetAsync(db, clock, email, frequency, ct);
            await audit.AddAndSaveAsync(CallerScope.From(http.User).Actor, "digest.preference", saved, "Applied", new { frequency = frequency.ToString().ToLowerInvariant() }, ct);
            return Results.Ok(new { manager = saved, frequency = frequency.ToString().ToLowerInvariant() });
        }).RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }

    public static async Task<string> SetAsync(TeamSkillsDbContext db, OrgClock clock, string email, DigestFrequency frequency, CancellationToken ct)
    {
        email = email.Trim().ToLowerInvariant();
        var row = await db.DigestPreferences.FirstOrDefaultAsync(p => p.ManagerEmail == email, ct);
        if (row is null) db.DigestPreferences.Add(row = new DigestPreference { ManagerEmail = email });
        row.Frequency = frequency;
        row.UpdatedAt = clock.Now;
        await db.SaveChangesAsync(ct);
        return email;
    }
}
