using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Audit;
using TeamSkills.Core.Data;
using TeamSkills.Core.Imports;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Audit;

/// <summary>
/// Writes the audit trail. <see cref="Add"/> only stages an entry on the DbContext, so it is saved by the caller's
/// SaveChanges inside the caller's transaction: the entry exists exactly when the change it describes does.
/// </summary>
public sealed class AuditLog(TeamSkillsDbContext db, OrgClock clock, IHttpContextAccessor http)
{
    public void Add(string actor, string action, string target, string outcome, object? details = null) =>
        db.AuditEntries.Add(new AuditEntry
        {
            At = clock.Now,
            Actor = Clip(actor, 320),
            Action = action,
            Target = Clip(target, 400),
            Outcome = outcome,
            Details = Clip(JsonSerializer.Serialize(details ?? new { }, JsonSerializerOptions.Web), 8000),
            Ip = http.HttpContext?.Connection.RemoteIpAddress?.ToString(),
        });

    public void Import(ImportRecord r) =>
        Add(r.ImportedBy, r.Kind == ImportKind.Roster ? "import.roster" : "import.completions", $"import {r.Id}: {r.FileName}",
            r.Outcome.ToString(), new { importId = r.Id, r.Mode, r.DryRun, r.Rows, r.Created, r.Updated, r.Deactivated, r.Unchanged, errors = r.ErrorCount });

    /// <summary>For entries with no change of their own to ride on (sign-ins).</summary>
    public async Task AddAndSaveAsync(string actor, string action, string target, string outcome, object? details, CancellationToken ct)
    {
        Add(actor, action, target, outcome, details);
        await db.SaveChangesAsync(ct);
    }

    private static string Clip(string value, int max) => value.Length <= max ? value : value[..max];
}

public sealed record AuditView(long Id, DateTimeOffset At, string Actor, string Action, string Target, string Outcome, JsonElement Details, string? Ip);

public static class AuditEndpoints
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<AuditLog>();
        return builder;
    }

    /// <summary>The filters the API and the page share: action by prefix ("import" matches import.roster), actor by prefix,
    /// and a range of UTC days, both ends included.</summary>
    public static IQueryable<AuditEntry> Filter(IQueryable<AuditEntry> query, string? action, string? actor, DateOnly? from = null, DateOnly? to = null)
    {
        if (from is { } f)
        {
            var start = new DateTimeOffset(f.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.At >= start);
        }
        if (to is { } t)
        {
            var end = new DateTimeOffset(t.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            query = query.Where(e => e.At < end);
        }
        // Actions are lower-case constants; the prefix is lowered too, so it matches alike on every provider
        // (StartsWith becomes LIKE on SQLite, which ignores ASCII case; PostgreSQL's LIKE does not).
        if (!string.IsNullOrWhiteSpace(action))
        {
            var prefix = action.Trim().ToLowerInvariant();
            query = query.Where(e => e.Action.StartsWith(prefix));
        }
        // Actors alike, by prefix and ignoring case: "mia" finds mia@example.com, "Mia@Example.com" too.
        if (!string.IsNullOrWhiteSpace(actor))
        {
            var prefix = actor.Trim().ToLowerInvariant();
            query = query.Where(e => e.Actor.ToLower().StartsWith(prefix));
        }
        return query;
    }

    /// <summary>Why a from day after the to day matches nothing, or null when the range is in order.</summary>
    public static string? Reversed(DateOnly? from, DateOnly? to) =>
        from > to ? $"from {from:yyyy-MM-dd} is after to {to:yyyy-MM-dd}, so no entry can match (swap them)" : null;

    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (string? action, string? actor, string? from, string? to, int? take, int? skip,
            TeamSkillsDbContext db, CancellationToken ct) =>
        {
            DateOnly? start = null, end = null;
            if (from is not null && (start = Gaps.AsOf.Parse(from, default)) is null) return Gaps.AsOf.Invalid(from, "from");
            if (to is not null && (end = Gaps.AsOf.Parse(to, default)) is null) return Gaps.AsOf.Invalid(to, "to");
            if (Reversed(start, end) is { } reversed) return Results.Problem(statusCode: 400, title: "Invalid range", detail: reversed + ".");
            var query = Filter(db.AuditEntries.AsNoTracking(), action, actor, start, end);
            var rows = await query.OrderByDescending(e => e.Id).Skip(Math.Max(0, skip ?? 0)).Take(Math.Clamp(take ?? 100, 1, 1000)).ToListAsync(ct);
            return Results.Ok(rows.Select(e => new AuditView(e.Id, e.At, e.Actor, e.Action, e.Target, e.Outcome,
                JsonDocument.Parse(e.Details).RootElement.Clone(), e.Ip)));
        }).WithTags("Audit").RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }
}
