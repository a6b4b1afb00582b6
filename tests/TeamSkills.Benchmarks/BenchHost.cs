using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Benchmarks;

/// <summary>
/// The app as src/TeamSkills.Web/Program.cs wires it (without demo mode), on a SQLite file in a temp directory, so
/// imports and HTTP requests run through the same registrations, middleware and endpoints as production.
/// </summary>
internal static class BenchHost
{
    public const string ApiKey = "bench";

    /// <param name="postgres">A PostgreSQL connection string: the app on that database instead of SQLite.</param>
    /// <param name="extra">More configuration arguments (e.g. a higher API rate limit for load tests).</param>
    public static async Task<WebApplication> BuildAsync(string dataDirectory, string? postgres = null, string[]? extra = null)
    {
        string[] database = postgres is null ? [] : ["--TeamSkills:Database:Provider=PostgreSql", $"--ConnectionStrings:TeamSkills={postgres}"];
        database = [.. database, .. extra ?? []];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = PlatformSetup.NormalizeArgs(
                [$"--TeamSkills:DataDirectory={dataDirectory}", $"--TeamSkills:Auth:BootstrapApiKey={ApiKey}", "--urls=http://127.0.0.1:0",
                 "--TeamSkills:Jobs:RunServer=false", .. database]),
            // The app's appsettings.json is copied next to this assembly: same log levels and import limits as the app.
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(RosterImport).Assembly.GetName().Name,
        });
        builder.AddTeamSkills();
        var app = builder.Build();
        await app.PrepareDatabaseAsync();
        app.MapTeamSkills();
        return app;
    }

    /// <summary>Starts Kestrel (port 0 in the arguments) and returns the address it actually bound.</summary>
    public static async Task<Uri> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
        return new Uri(addresses.First());
    }
}
