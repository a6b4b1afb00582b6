using Microsoft.AspNetCore.Authentication.Cookies;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Web.Features.Live;

public static class LiveSetup
{
    /// <summary>Browsers connect with their sign-in cookie; API clients with X-Api-Key or the access_token query parameter.</summary>
    public const string LivePolicy = "Live";
    public const string HubPath = "/hubs/gaps";

    public static WebApplicationBuilder AddLive(this WebApplicationBuilder builder)
    {
        builder.Services.AddSignalR(o =>
        {
            // Clients only listen and call GetSummaries; nothing large ever comes in.
            o.MaximumReceiveMessageSize = 8 * 1024;
        });
        builder.Services.AddSingleton<LiveConnections>();
        builder.Services.AddSingleton<LivePublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LivePublisher>());
        builder.Services.AddSingleton<IImportProgress, LiveImportProgress>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(LivePolicy, p => p
            .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme, ApiKeyHandler.SchemeName)
            .RequireAuthenticatedUser());
        // The hosting request log would print access_token (a credential) with the query string; request lines stay
        // out of the logs at Information, whatever the configuration says.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning);
        return builder;
    }

    public static WebApplication MapLive(this WebApplication app)
    {
        app.MapHub<GapHub>(HubPath);
        return app;
    }
}
