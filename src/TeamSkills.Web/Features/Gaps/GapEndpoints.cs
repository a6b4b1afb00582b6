using System.Globalization;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Gaps;

public static class GapEndpoints
{
    public static WebApplicationBuilder AddGaps(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GapIndex>();
        builder.Services.AddScoped<GapQueries>();
        builder.Services.AddSingleton<Live.GapChanges>();
        return builder;
    }

    public static RouteGroupBuilder MapGaps(this RouteGroupBuilder api)
    {
        api.MapGet("/teams", async (string? asOf, GapQueries q, ScopeService scopes, HttpContext http, CancellationToken ct) =>
            AsOf.Parse(asOf, q.Today) is { } date
                ? Results.Ok(await q.TeamsAsync(await scopes.ForAsync(http.User, ct), date, ct))
                : AsOf.Invalid(asOf)).WithTags("Gaps").Produces<IReadOnlyList<TeamSummary>>();

        api.MapGet("/teams/{id:int}/gaps", async (int id, string? asOf, GapQueries q, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, q.Today) is not { } date) return AsOf.Invalid(asOf);
            var gaps = await q.TeamGapsAsync(await scopes.ForAsync(http.User, ct), id, date, ct);
            return gaps is null ? Results.Problem(statusCode: 404, title: "Team not found", detail: $"No team {id} in your scope.") : Results.Ok(gaps);
        }).WithTags("Gaps").Produces<TeamGaps>();

        // The expiry forecast ("compliance cliff") behind the overview chart: the caller's teams, or one of them.
        api.MapGet("/forecast", async (string? asOf, int? teamId, GapQueries q, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, q.Today) is not { } date) return AsOf.Invalid(asOf);
            var scope = await scopes.ForAsync(http.User, ct);
            if (teamId is { } id)
            {
                if (!scope.CanSeeTeam(id) || await q.TeamGapsAsync(scope, id, date, ct) is null)
                    return Results.Problem(statusCode: 404, title: "Team not found", detail: $"No team {id} in your scope.");
                scope = scope with { AllTeams = false, TeamIds = new HashSet<int> { id } };
            }
            return Results.Ok(await q.ForecastAsync(scope, date, ct));
        }).WithTags("Gaps").Produces<ExpiryForecast>();

        api.MapGet("/engineers/{employeeId}", async (string employeeId, string? asOf, GapQueries q, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            if (AsOf.Parse(asOf, q.Today) is not { } date) return AsOf.Invalid(asOf);
            var detail = await q.EngineerAsync(await scopes.ForAsync(http.User, ct), employeeId, date, ct);
            return detail is null
                ? Results.Problem(statusCode: 404, title: "Engineer not found", detail: $"No engineer '{employeeId}' in your scope.")
                : Results.Ok(detail);
        }).WithTags("Gaps").Produces<EngineerDetail>();
        return api;
    }
}

public static class AsOf
{
    /// <summary>The dates asked about: wide enough for any real question, and far enough from DateOnly's ends that the
    /// arithmetic around a date (a 12-month forecast, a 90-day trend, renewal windows) cannot leave its range.</summary>
    public static readonly DateOnly Earliest = new(1900, 1, 1), Latest = new(2999, 12, 31);

    public static DateOnly? Parse(string? text, DateOnly today) =>
        string.IsNullOrWhiteSpace(text) ? today
        : DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d >= Earliest && d <= Latest ? d
        : null;

    /// <summary>Why <paramref name="text"/> (which <see cref="Parse"/> refused) is not a date to ask about.</summary>
    private static string Why(string text)
    {
        var shown = text.Length > 40 ? text[..37] + "..." : text;
        return DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? $"'{shown}' is outside the dates TeamSkills answers for ({Earliest:yyyy-MM-dd} to {Latest:yyyy-MM-dd})"
            : $"'{shown}' is not a date (use YYYY-MM-DD)";
    }

    /// <summary>For pages, which show today instead: why the asked date was not used, or null.</summary>
    public static string? PageProblem(string? text, DateOnly today) =>
        Parse(text, today) is null ? $"{Why(text!)}: showing today instead." : null;

    /// <param name="parameter">The query parameter's name as the caller wrote it (asOf, from, to).</param>
    public static IResult Invalid(string? text, string parameter = "asOf") => Results.Problem(statusCode: 400, title: $"Invalid {parameter}",
        detail: $"{parameter} {Why(text ?? "")}.");

    /// <summary>For downloads from the pages: a file is never made for another date than the one asked, so a date that
    /// does not parse is refused (400, saying why, as <paramref name="refusal"/>) instead of falling back to today as the
    /// pages do.</summary>
    public static bool TryDownloadDate(string? text, DateOnly today, out DateOnly date,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out Microsoft.AspNetCore.Mvc.IActionResult? refusal)
    {
        var parsed = Parse(text, today);
        date = parsed ?? today;
        // A page the browser shows (the link was followed from a page), saying why.
        refusal = parsed is not null ? null : new Microsoft.AspNetCore.Mvc.ContentResult
        {
            StatusCode = 400, ContentType = "text/html; charset=utf-8",
            Content = Platform.PlatformSetup.ErrorPage(400, $"asOf {Why(text!)}. No file was made."),
        };
        return parsed is not null;
    }
}

/// <summary>The read side of gaps: team summaries, a team's heat map, an engineer's plan. Scoped by the caller.</summary>
public sealed class GapQueries(TeamSkillsDbContext db, GapIndex index, OrgClock clock)
{
    public DateOnly Today => clock.Today;

    public async Task<IReadOnlyList<TeamSummary>> TeamsAsync(CallerScope scope, DateOnly asOf, CancellationToken ct)
    {
        var snapshot = await index.GetAsync(db, ct);
        var tallies = snapshot.Tallies(asOf);
        return snapshot.Teams
            .Where(t => scope.CanSeeTeam(t.Id))
            .Select(t => TeamSummary.From(t, tallies.GetValueOrDefault(t.Id) ?? new TeamTally()))
            .ToList();
    }

    /// <summary>
    /// Active engineers the caller may see whose employee id starts with <paramref name="text"/>, or whose name or email
    /// contains it (ignoring case, and accents in names: "Jurgen" finds Jürgen, "Soren" Søren, what a keyboard without
    /// them types); exact employee ids first, then by name.
    /// </summary>
    private static readonly System.Globalization.CompareInfo NameSearch = System.Globalization.CultureInfo.InvariantCulture.CompareInfo;
    private const System.Globalization.CompareOptions NameSearchOptions =
        System.Globalization.CompareOptions.IgnoreCase | System.Globalization.CompareOptions.IgnoreNonSpace
        | System.Globalization.CompareOptions.IgnoreWidth | System.Globalization.CompareOptions.IgnoreKanaType;

    public async Task<IReadOnlyList<EngineerHit>> FindEngineersAsync(CallerScope scope, string text, CancellationToken ct)
    {
        var s = await index.GetAsync(db, ct);
        var teams = s.Teams.ToDictionary(t => t.Id, t => t.Name);
        return s.Engineers
            .Where(e => scope.CanSeeEngineer(e.TeamId, e.Email, active: true)
                && (e.EmployeeId.StartsWith(text, StringComparison.OrdinalIgnoreCase)
                    || NameSearch.IndexOf(e.Name, text, NameSearchOptions) >= 0
                    || e.Email.Contains(text, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(e => string.Equals(e.EmployeeId, text, StringComparison.OrdinalIgnoreCase) ? 0 : 1)
            .ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.EmployeeId, StringComparer.Ordinal)
            .Select(e => new EngineerHit(e.EmployeeId, e.Name, e.Email, teams.GetValueOrDefault(e.TeamId, ""), e.Title))
            .ToList();
    }

    /// <summary>The catalog's certifications (id, name) in catalog order, for pickers.</summary>
    public async Task<IReadOnlyList<CertRef>> CertificationsAsync(CancellationToken ct) =>
        (await index.GetAsync(db, ct)).Certs.Select(c => c.Rule).OrderBy(r => r.CatalogOrder).Select(r => new CertRef(r.Id, r.Name)).ToList();

    /// <summary>A certification's name from the catalog (its id when there is no such certification).</summary>
    public async Task<string> CertificationNameAsync(string id, CancellationToken ct) =>
        (await index.GetAsync(db, ct)).Rules.TryGetValue(id, out var rule) ? rule.Name : id;

    /// <summary>The employee id of the active engineer record carrying <paramref name="email"/> (a user's own record), or null.</summary>
    public Task<string?> OwnEmployeeIdAsync(string? email, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(email)) return Task.FromResult<string?>(null);
        var lower = email.Trim().ToLowerInvariant();
        return db.Engineers.AsNoTracking().Where(e => e.Active && e.Email == lower).Select(e => e.EmployeeId).FirstOrDefaultAsync(ct);
    }

    /// <summary>The words for the "expiring" count (the catalog's renewal windows decide them).</summary>
    public async Task<string> ExpiringLabelAsync(CancellationToken ct) => (await index.GetAsync(db, ct)).ExpiringLabel;

    public async Task<ExpiryForecast> ForecastAsync(CallerScope scope, DateOnly asOf, CancellationToken ct)
    {
        var snapshot = await index.GetAsync(db, ct);
        return snapshot.Forecast(snapshot.Teams.Where(t => scope.CanSeeTeam(t.Id)).Select(t => t.Id), asOf);
    }

    /// <summary>Coverage per snapshot date over the caller's teams (held / recommended, summed), oldest first.</summary>
    public async Task<IReadOnlyList<TrendPoint>> TrendAsync(CallerScope scope, DateOnly until, int days, CancellationToken ct)
    {
        var from = until.AddDays(-days);
        var rows = await db.CoverageSnapshots.AsNoTracking().Where(s => s.Date > from && s.Date <= until)
            .Select(s => new { s.Date, s.TeamId, s.HeldCount, s.RecommendedCount }).ToListAsync(ct);
        return rows.Where(r => scope.CanSeeTeam(r.TeamId)).GroupBy(r => r.Date).OrderBy(g => g.Key)
            .Select(g => new TrendPoint(g.Key, TeamTally.CoverageOf(g.Sum(r => r.HeldCount), g.Sum(r => r.RecommendedCount))))
            .ToList();
    }

    public async Task<TeamGaps?> TeamGapsAsync(CallerScope scope, int teamId, DateOnly asOf, CancellationToken ct)
    {
        var s = await index.GetAsync(db, ct);
        var team = s.Teams.FirstOrDefault(t => t.Id == teamId);
        if (team is null || !scope.CanSeeTeam(team.Id)) return null;

        var tally = new TeamTally();
        var engineers = new List<EngineerGaps>();
        foreach (var e in s.TeamEngineers(teamId)) engineers.Add(EngineerOf(s, e, asOf, tally));
        return new TeamGaps(team.Id, team.Name, team.ManagerEmail, asOf, tally.EngineerCount, tally.RecommendedCount, tally.HeldCount,
            tally.GapCount, tally.ExpiringSoonCount, tally.ExpiredCount, tally.UnmappedCount, tally.CoveragePercent, engineers);
    }

    /// <summary>One engineer's heat-map row and next step on <paramref name="asOf"/>, added to <paramref name="tally"/>
    /// (the API and the exports share it, so their numbers cannot differ).</summary>
    public static EngineerGaps EngineerOf(GapSnapshot s, EngineerRow e, DateOnly asOf, TeamTally tally)
    {
        tally.AddEngineer(e.RoleIndex >= 0);
        var certs = new List<CertificationStatus>();
        NextStep? next = null;
        if (e.RoleIndex >= 0)
        {
            var role = s.Roles[e.RoleIndex];
            var statuses = new Dictionary<string, CertStatus>(StringComparer.Ordinal);
            foreach (var ci in role.Recommended)
            {
                var best = s.Best(e, ci, asOf);
                var rule = s.Certs[ci].Rule;
                var status = GapEngine.Classify(best?.ExpiresOn, asOf, rule.RenewalWindowDays);
                tally.AddStatus(status);
                statuses[rule.Id] = status;
                certs.Add(new CertificationStatus(rule.Id, rule.Name, status, best?.EarnedOn, best?.ExpiresOn));
            }
            next = NextStep.From(GapEngine.NextStepAndTarget(role.Recommended.Select(ci => s.Certs[ci].Rule.Id),
                id => IsHeld(s, e, id, asOf, statuses), s.Rules));
        }
        var roleName = e.RoleIndex >= 0 ? s.Roles[e.RoleIndex].Name : null;
        var roleId = e.RoleIndex >= 0 ? s.Roles[e.RoleIndex].Id : null;
        return new EngineerGaps(e.EmployeeId, e.Name, e.Email, e.Title, roleName, roleId, certs, next);
    }

    private static bool IsHeld(GapSnapshot s, EngineerRow e, string certId, DateOnly asOf, Dictionary<string, CertStatus> known)
    {
        if (known.TryGetValue(certId, out var status)) return GapEngine.IsHeld(status);
        return s.CertIndex.TryGetValue(certId, out var ci) && GapEngine.IsHeld(s.StatusOf(e, ci, asOf));
    }

    public async Task<EngineerDetail?> EngineerAsync(CallerScope scope, string employeeId, DateOnly asOf, CancellationToken ct)
    {
        var e = await db.Engineers.AsNoTracking().FirstOrDefaultAsync(x => x.EmployeeId == employeeId, ct);
        if (e is null || !scope.CanSeeEngineer(e.TeamId, e.Email, e.Active)) return null;
        var s = await index.GetAsync(db, ct);
        var team = await db.Teams.AsNoTracking().Where(t => t.Id == e.TeamId).Select(t => new TeamRef(t.Id, t.Name)).FirstAsync(ct);
        var history = (await db.Completions.AsNoTracking().Where(c => c.EngineerId == e.Id).ToListAsync(ct))
            .OrderByDescending(c => c.EarnedOn).ThenBy(c => c.CertificationId, StringComparer.Ordinal).ToList();

        Holding? BestOf(string certId) =>
            GapEngine.Best(history.Where(h => h.CertificationId == certId).Select(h => new Holding(h.EarnedOn, h.ExpiresOn)).ToArray(), asOf);
        CertStatus StatusOf(string certId) =>
            GapEngine.Classify(BestOf(certId)?.ExpiresOn, asOf, s.Rules.TryGetValue(certId, out var r) ? r.RenewalWindowDays : 0);

        var role = e.RoleId is null ? null : s.Roles.FirstOrDefault(r => r.Id == e.RoleId);
        var certifications = new List<EngineerCertification>();
        IReadOnlyList<PlanStep> plan = [];
        NextStep? next = null;
        if (role is not null)
        {
            var recommendedIds = role.Recommended.Select(ci => s.Certs[ci].Rule.Id).ToList();
            for (var i = 0; i < role.Recommended.Length; i++)
            {
                var info = s.Certs[role.Recommended[i]];
                var best = history.Where(h => h.CertificationId == info.Rule.Id && h.EarnedOn <= asOf).MaxBy(h => h.ExpiresOn);
                certifications.Add(new EngineerCertification(info.Rule.Id, info.Rule.Name, StatusOf(info.Rule.Id), best?.EarnedOn, best?.ExpiresOn,
                    role.Focus[i], best is null ? null : ExpiryRules.Explain(best.EarnedOn, best.ExpiresOn, best.ExpiryDerived, info.ValidityMonths)));
            }
            next = NextStep.From(GapEngine.NextStepAndTarget(recommendedIds, id => GapEngine.IsHeld(StatusOf(id)), s.Rules));
            plan = GapEngine.Plan(recommendedIds, StatusOf, s.Rules);
        }
        var records = history.Select(h =>
        {
            var info = s.CertIndex.TryGetValue(h.CertificationId, out var ci) ? s.Certs[ci] : null;
            return new CompletionRecord(h.Id, h.CertificationId, info?.Rule.Name ?? h.CertificationId, h.EarnedOn, h.ExpiresOn, h.ExpiryDerived,
                ExpiryRules.Explain(h.EarnedOn, h.ExpiresOn, h.ExpiryDerived, info?.ValidityMonths ?? 0));
        }).ToList();
        return new EngineerDetail(e.EmployeeId, e.Name, e.Email, e.Title, role?.Name, role?.Id, e.Active, team, e.ManagerEmail, asOf,
            certifications, next, plan, plan.Count == 0 ? 0 : plan[^1].CumulativePreparationDays, records);
    }
}
