using Microsoft.AspNetCore.Authentication.Cookies;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Web.Features.Live;

public static class LiveSetup
{
    /// <summary>Browsers connect with their sign-in cookie; API clients with X-Api-Key or the access_token query parameter.</summary>
    public const string LivePolicy = "Live";
    public const string HubPath = "/hubs/gaps";

    /// <summary>Log categories that write request URLs, query string included.</summary>
    private static readonly string[] RedactedCategories =
        ["Microsoft.AspNetCore.Hosting.Diagnostics", "Microsoft.AspNetCore.Routing.EndpointMiddleware", "Microsoft.AspNetCore.HttpLogging"];

    public static WebApplicationBuilder AddLive(this WebApplicationBuilder builder)
    {
        var signalR = builder.Services.AddSignalR(o =>
        {
            // Clients only listen and call GetSummaries; nothing large ever comes in.
            o.MaximumReceiveMessageSize = 8 * 1024;
        });
        // Scale-out: with TeamSkills:Redis every instance's pushes reach every instance's clients (the Redis
        // backplane), and changes to who may see what are passed on (RedisLiveControl).
        var redis = builder.Configuration[RedisLiveControl.ConfigKey];
        if (!string.IsNullOrWhiteSpace(redis))
        {
            var redisOptions = RedisLiveControl.Options(redis);
            signalR.AddStackExchangeRedis(o => o.Configuration = redisOptions);
            builder.Services.AddSingleton<RedisLiveControl>();
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RedisLiveControl>());
        }
        builder.Services.AddSingleton<LiveConnections>();
        builder.Services.AddSingleton<LivePublisher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LivePublisher>());
        builder.Services.AddSingleton<IImportProgress, LiveImportProgress>();
        builder.Services.AddHostedService<DayRollover>();
        builder.Services.AddAuthorizationBuilder().AddPolicy(LivePolicy, p => p
            .AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme, ApiKeyHandler.SchemeName)
            .RequireAuthenticatedUser());
        // The hosting request log would print access_token (a credential) with the query string: request lines stay
        // out of the logs whatever the configuration says. A provider-specific level (Logging:Console:LogLevel:...)
        // outranks a rule for all providers, so the rule is repeated for every provider the configuration names.
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            foreach (var provider in o.Rules.Select(r => r.ProviderName).Append(null).Distinct().ToList())
                foreach (var category in RedactedCategories)
                    o.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Warning, null));
        });
        return builder;
    }

    public static WebApplication MapLive(this WebApplication app)
    {
        // A browser's WebSocket is not bound by CORS: a page on another host whose browser still sends the sign-in
        // cookie (a sibling subdomain is "same site" for SameSite=Strict) could listen in. A request to the hub that
        // carries an Origin (browsers always send one) must come from this host or the configured public URL; clients
        // that send none (the .NET and other non-browser clients, with an API key) are not affected.
        app.UseWhen(http => http.Request.Path.StartsWithSegments(HubPath), hub => hub.Use(async (http, next) =>
        {
            var origin = http.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && !FromThisSite(origin, http))
            {
                http.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            await next(http);
        }));
        // A browser whose sign-in cookie expires is disconnected rather than kept listening.
        app.MapHub<GapHub>(HubPath, o => o.CloseOnAuthenticationExpiration = true);
        return app;
    }

    /// <summary>The Origin names the host the request came to (its Host header, as a proxy passes it on; scheme aside,
    /// since TLS may end at the proxy), or the host of TeamSkills:Digests:PublicUrl.</summary>
    private static bool FromThisSite(string origin, HttpContext http)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var from)) return false;
        if (string.Equals(from.Authority, http.Request.Host.Value, StringComparison.OrdinalIgnoreCase)) return true;
        var publicUrl = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Digests.DigestOptions>>().Value.PublicUrl;
        return Uri.TryCreate(publicUrl, UriKind.Absolute, out var site) && string.Equals(from.Authority, site.Authority, StringComparison.OrdinalIgnoreCase);
    }
}
