using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Data;

namespace TeamSkills.Web.Features.Platform;

public static class PlatformSetup
{
    /// <summary>"--demo" is a bare flag on the command line; configuration wants key=value.</summary>
    public static string[] NormalizeArgs(string[] args) =>
        args.Select(a => a is "--demo" ? "--TeamSkills:Demo=true" : a).ToArray();

    public static WebApplicationBuilder AddPlatform(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TeamSkillsOptions>().BindConfiguration(TeamSkillsOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => TryZone(o.TimeZone) is not null, "TeamSkills:TimeZone is not a known time zone id.")
            .ValidateOnStart();
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DatabaseOptions>().BindConfiguration("TeamSkills:Database").ValidateDataAnnotations().ValidateOnStart();

        services.TryAddTimeProvider();
        services.AddSingleton(sp => new OrgClock(
            sp.GetRequiredService<TimeProvider>(),
            TryZone(sp.GetRequiredService<IOptions<TeamSkillsOptions>>().Value.TimeZone) ?? TimeZoneInfo.Utc));

        // A query value that does not bind (dryRun=yes, take=abc) is the caller's mistake: it is answered 400 saying which
        // parameter and value, in every environment, and is not logged as a server error (see UsePlatform).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            if (c.Exception is not BadHttpRequestException { StatusCode: < 500 } bad || c.ProblemDetails.Detail is not null) return;
            if (UnboundParameter(bad.Message) is { } unbound)
            {
                c.ProblemDetails.Title = "Invalid parameter";
                c.ProblemDetails.Detail = unbound.Detail;
                c.ProblemDetails.Extensions["errors"] = new Dictionary<string, string[]> { [unbound.Name] = [unbound.Detail] };
            }
            else c.ProblemDetails.Detail = bad.Message.Length <= 300 ? bad.Message : bad.Message[..297] + "...";
        });
        services.AddExceptionHandler<OutageExceptionHandler>();
        services.Configure<JsonOptions>(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase));
        });
        // The description says how to authenticate, so API tools send the key: X-Api-Key on every /api operation (not on
        // /health, which is open). Pages, sign-in and the cookie-only download routes are not described at all.
        services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            const string scheme = "ApiKey";
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[scheme] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.ApiKey,
                In = Microsoft.OpenApi.ParameterLocation.Header,
                Name = Access.ApiKeyHandler.Header,
                Description = "A user's API key (the Users page, or POST /api/users/{email}/api-keys), or the bootstrap admin key.",
            };
            return Task.CompletedTask;
        }).AddOperationTransformer((operation, context, _) =>
        {
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<Imports.ImportFileForm>().Any())
            {
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType>
                    {
                        ["multipart/form-data"] = new()
                        {
                            Schema = new Microsoft.OpenApi.OpenApiSchema
                            {
                                Type = Microsoft.OpenApi.JsonSchemaType.Object,
                                Required = new HashSet<string> { "file" },
                                Properties = new Dictionary<string, Microsoft.OpenApi.IOpenApiSchema>
                                {
                                    ["file"] = new Microsoft.OpenApi.OpenApiSchema
                                    {
                                        Type = Microsoft.OpenApi.JsonSchemaType.String, Format = "binary",
                                        Description = "The file: CSV (UTF-8) or XLSX, its first row the header.",
                                    },
                                },
                            },
                        },
                    },
                };
            }
            if (context.Description.RelativePath?.StartsWith("api/", StringComparison.Ordinal) == true)
            {
                operation.Security ??= [];
                operation.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement
                {
                    [new Microsoft.OpenApi.OpenApiSecuritySchemeReference("ApiKey", context.Document)] = [],
                });
            }
            return Task.CompletedTask;
        }));

        var dataDirectory = new TeamSkillsOptions
        {
            DataDirectory = builder.Configuration.GetSection(TeamSkillsOptions.Section).Get<TeamSkillsOptions>()?.DataDirectory ?? "./data",
        }.ResolveDataDirectory(builder.Environment.ContentRootPath);
        Directory.CreateDirectory(dataDirectory);
        // The key ring lives in the database: sign-in cookies survive a restart, and every instance sharing the
        // database (docker-compose runs two) opens what another instance protected.
        services.AddDataProtection().SetApplicationName("TeamSkills")
            .PersistKeysToDbContext<TeamSkillsDbContext>();
        // Unencrypted there on purpose (README, "Key ring": guard the database as a secret), so the key manager's warning
        // "No XML encryptor configured" at each new key says nothing new; its errors are still logged.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);

        var connectionString = builder.Configuration.GetConnectionString("TeamSkills");
        var provider = builder.Configuration.GetValue("TeamSkills:Database:Provider", DatabaseProvider.Sqlite);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            if (provider != DatabaseProvider.Sqlite)
                throw new InvalidOperationException($"ConnectionStrings:TeamSkills is required for provider {provider}.");
            connectionString = DatabaseSetup.SqliteFileConnectionString(Path.Combine(dataDirectory, "teamskills.db"),
                builder.Configuration.GetValue("TeamSkills:Database:BusyTimeoutSeconds", DatabaseOptions.DefaultBusyTimeoutSeconds));
        }
        services.AddDbContext<TeamSkillsDbContext>(o => DatabaseSetup.Configure(o, provider, connectionString));
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (services.All(d => d.ServiceType != typeof(TimeProvider))) services.AddSingleton(TimeProvider.System);
    }

    /// <summary>
    /// Minimal APIs say <c>Failed to bind parameter "Nullable&lt;bool&gt; dryRun" from "yes".</c>: C# type names are not the
    /// caller's words. Said instead as the parameter, the value and what it accepts.
    /// </summary>
    internal static (string Name, string Detail)? UnboundParameter(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, "^Failed to bind parameter \"(?:Nullable<)?(?<type>[^\" >]+)>? (?<name>[^\" ]+)\" from \"(?<value>.*)\"\\.?$");
        if (!m.Success) return null;
        var accepted = m.Groups["type"].Value switch
        {
            "bool" or "Boolean" => "true or false",
            "int" or "long" or "Int32" or "Int64" => "a whole number",
            "DateOnly" => "a date (yyyy-MM-dd)",
            "DateTime" or "DateTimeOffset" => "a date and time (ISO 8601)",
            "Guid" => "a GUID",
            var other => $"a {other}",
        };
        var value = m.Groups["value"].Value;
        if (value.Length > 60) value = value[..57] + "...";
        var name = m.Groups["name"].Value;
        return (name, $"\"{value}\" is not a valid value for {name}: use {accepted}.");
    }

    private static TimeZoneInfo? TryZone(string id)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (TimeZoneNotFoundException) { return null; }
        catch (InvalidTimeZoneException) { return null; }
    }

    /// <summary>Migrations (when MigrateOnStart), the catalog seed, and the demo organisation when asked.</summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<TeamSkillsDbContext>();
        var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("TeamSkills.Startup");
        if (sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            await db.Database.MigrateAsync();
        }
        if (db.Database.IsSqlite())
        {
            // WAL lets readers continue while an import writes.
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
        }
        await Access.UserEndpoints.SeedRolesAsync(app.Services);
        if (await CatalogSeed.SeedAsync(db, sp.GetRequiredService<TimeProvider>()))
        {
            log.LogInformation("Seeded the certification catalog from catalog.json.");
        }
    }

    public static WebApplication UsePlatform(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            // Outages are answered by OutageExceptionHandler first (503/507 with Retry-After); anything else lands here.
            ExceptionHandler = WriteErrorAsync,
            // A bad request is the client's error, answered 4xx: no error-level log with a stack trace for each one.
            SuppressDiagnosticsCallback = c => c.Exception is BadHttpRequestException { StatusCode: < 500 },
        });
        app.UseStatusCodePages(context => WriteErrorAsync(context.HttpContext));
        return app;
    }

    /// <summary>An error answer with no body yet: an HTML page for a browser asking for a page, ProblemDetails otherwise.</summary>
    private static async Task WriteErrorAsync(HttpContext http)
    {
        if (WantsPage(http.Request))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync(ErrorPage(http.Response.StatusCode));
            return;
        }
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        var error = http.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
        if (!await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, Exception = error, ProblemDetails = { Status = http.Response.StatusCode } }))
            await http.Response.WriteAsync($"Status code {http.Response.StatusCode}");
    }

    /// <summary>A browser asking for a page (not the API, not the hub) gets an HTML error page; everything else ProblemDetails.</summary>
    public static bool WantsPage(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/hubs")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>The HTML error page; <paramref name="detail"/> (encoded here) says what was wrong, instead of the status's stock text;
    /// <paramref name="back"/> (a local path and its label) replaces the link back to the dashboard.</summary>
    public static string ErrorPage(int status, string? detail = null, (string Href, string Label)? back = null)
    {
        var (href, label) = back ?? ("/", "Back to the dashboard");
        var (title, text) = status switch
        {
            StatusCodes.Status403Forbidden => ("Not allowed", "Your role does not open this page. Ask an admin if you need it."),
            StatusCodes.Status404NotFound => ("Not found", "There is nothing here, or nothing you may see."),
            StatusCodes.Status429TooManyRequests => ("Too many requests", "Slow down a little, then try again."),
            >= 500 => ("Something went wrong", "The server could not answer. Try again in a moment."),
            _ => ("That did not work", "The request could not be answered as it was."),
        };
        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>{title} - TeamSkills</title><link rel="icon" href="/favicon.svg" type="image/svg+xml" /><link rel="stylesheet" href="/css/site.css" /></head>
            <body><main><section class="card narrow"><h1>{title}</h1><p>{(detail is null ? text : System.Net.WebUtility.HtmlEncode(detail))} (HTTP {status})</p><p><a href="{System.Net.WebUtility.HtmlEncode(href)}">{System.Net.WebUtility.HtmlEncode(label)}</a></p></section></main></body></html>
            """;
    }

    public static WebApplication MapPlatform(this WebApplication app)
    {
        app.MapGet("/health", async (TeamSkillsDbContext db, HttpContext http, CancellationToken ct) =>
        {
            try
            {
                // A round trip, not just an open: a pooled connection opens without touching the server.
                await db.Database.ExecuteSqlRawAsync("SELECT 1", ct);
                return Results.Ok(new { status = "healthy" });
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException || Outages.Classify(ex) != OutageKind.None)
            {
                http.Response.Headers.RetryAfter = Outages.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new { status = "unhealthy", reason = "database unreachable" }, statusCode: 503);
            }
        }).AllowAnonymous().WithTags("Platform");
        app.MapOpenApi().AllowAnonymous();
        return app;
    }
}
