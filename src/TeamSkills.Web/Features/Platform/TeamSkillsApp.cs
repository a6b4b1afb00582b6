using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Catalog;
using TeamSkills.Web.Features.Completions;
using TeamSkills.Web.Features.Exports;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Home;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Jobs;
using TeamSkills.Web.Features.Digests;
using TeamSkills.Web.Features.Live;

namespace TeamSkills.Web.Features.Platform;

/// <summary>
/// The whole app in two calls, one line per area inside: Program.cs and the benchmark host use the same wiring,
/// so a benchmark cannot drift from what runs in production.
/// </summary>
public static class TeamSkillsApp
{
    public static WebApplicationBuilder AddTeamSkills(this WebApplicationBuilder builder)
    {
        builder.AddPlatform();
        builder.AddAccess();
        builder.AddEmail();
        builder.AddAudit();
        builder.AddGaps();
        builder.AddCatalog();
        builder.AddImports();
        builder.AddLive();
        builder.AddJobs();
        builder.AddDigests();
        builder.AddExports();
        builder.AddPages();
        return builder;
    }

    public static WebApplication MapTeamSkills(this WebApplication app)
    {
        app.UsePlatform();
        app.UseStaticFiles();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapPlatform();
        // Every API answer may be one of these problems (a bad value, no or a wrong key, a role that may not, too many requests).
        var api = app.MapGroup("/api").RequireAuthorization(AccessSetup.ApiPolicy)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status429TooManyRequests);
        api.MapImports();
        api.MapCompletions();
        api.MapCatalog();
        api.MapGaps();
        api.MapExports();
        api.MapAudit();
        api.MapUsers();
        app.MapJobs(api);
        api.MapDigests();
        app.MapPages();
        app.MapLive();
        app.MapExportPages();
        app.MapSingleSignOn();
        return app;
    }
}
