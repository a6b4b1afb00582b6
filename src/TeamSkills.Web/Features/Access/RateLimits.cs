using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace TeamSkills.Web.Features.Access;

public sealed class RateLimitOptions
{
    public const string Section = "TeamSkills:RateLimits";

    /// <summary>Sign-in attempts per client address per minute: sign-in form posts, one-time sign-in links
    /// (<c>GET /signin?token=</c>) and password-reset requests (<c>POST /forgot</c>) share it.</summary>
    [Range(1, 100_000)] public int SignInPerMinute { get; set; } = 10;

    /// <summary>API requests per API key (or, without a key, per client address) per minute.</summary>
    [Range(1, 10_000_000)] public int ApiPerMinute { get; set; } = 1200;

    /// <summary>Wrong API keys per client address per minute; past it, that address's keys are not checked until the
    /// minute is over (429 with Retry-After), so cycling through random keys buys no requests and no key lookups.</summary>
    [Range(1, 1_000_000)] public int InvalidApiKeysPerMinute { get; set; } = 100;
}

/// <summary>
/// Counts wrong API keys per client address (<see cref="RateLimitOptions.InvalidApiKeysPerMinute"/> in a fixed
/// minute). The per-key API budget cannot stop a client that sends a new random key each time; this does: once an
/// address has spent its budget, <see cref="ApiKeyHandler"/> refuses every key from it, the right one included,
/// without looking it up, until the window ends.
/// </summary>
public sealed class InvalidKeyBudget(IOptionsMonitor<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.CurrentValue.InvalidApiKeysPerMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        }));

    /// <summary>True, with when to try again, while <paramref name="address"/> has no wrong keys left this minute.</summary>
    public bool IsSpent(string address, out TimeSpan retryAfter)
    {
        // A probe for zero permits: granted while any are left, refused (with the window's end) once none are.
        using var lease = _limiter.AttemptAcquire(address, 0);
        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
        return !lease.IsAcquired;
    }

    public void Spend(string address)
    {
        using var _ = _limiter.AttemptAcquire(address);
    }

    public void Dispose() => _limiter.Dispose();
}

/// <summary>
/// Built-in rate limiting: sign-in posts per client address, API calls per presented key (hashed, so a flood of
/// wrong keys from one place shares one small budget per key it tries, and keyless calls share the address's).
/// Over the limit: 429 with Retry-After.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddTeamSkillsRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                var limits = http.RequestServices.GetRequiredService<IOptionsMonitor<RateLimitOptions>>().CurrentValue;
                var path = http.Request.Path;
                var ip = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                if (IsSignInAttempt(http.Request))
                    return Window("signin:" + ip, limits.SignInPerMinute);
                if (path.StartsWithSegments("/api"))
                {
                    var key = http.Request.Headers[ApiKeyHandler.Header].ToString();
                    return Window(key.Length > 0 ? "key:" + Hash(key) : "ip:" + ip, limits.ApiPerMinute);
                }
                return RateLimitPartition.GetNoLimiter("none");
            });
            o.OnRejected = (context, ct) =>
            {
                var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var w) ? w : TimeSpan.FromMinutes(1);
                return new ValueTask(IsSignInAttempt(context.HttpContext.Request)
                    ? TooManyAsync(context.HttpContext, wait,
                        seconds => $"Too many sign-in attempts from your address. Wait {seconds} seconds, then try again.", ("/signin", "Back to sign in"))
                    : TooManyAsync(context.HttpContext, wait, seconds => $"Slow down: try again in {seconds} s."));
            };
        });
        return services;
    }

    /// <summary>What an anonymous caller can repeat to guess, flood a mailbox or fill the audit trail: a sign-in post,
    /// a one-time sign-in link, a password-reset request.</summary>
    private static bool IsSignInAttempt(HttpRequest request) =>
        HttpMethods.IsPost(request.Method)
            ? request.Path.StartsWithSegments("/signin") || request.Path.StartsWithSegments("/forgot")
            : HttpMethods.IsGet(request.Method) && request.Path.StartsWithSegments("/signin") && request.Query.ContainsKey("token");

    /// <summary>A 429 with Retry-After (whole seconds, at least 1) and a detail naming the wait: an HTML page for a browser asking
    /// for a page (a sign-in form post shows a person a page, not JSON), ProblemDetails for the API and everything else.</summary>
    public static Task TooManyAsync(HttpContext http, TimeSpan retryAfter, Func<int, string> detail, (string Href, string Label)? back = null)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        if (Platform.PlatformSetup.WantsPage(http.Request))
        {
            http.Response.ContentType = "text/html; charset=utf-8";
            return http.Response.WriteAsync(Platform.PlatformSetup.ErrorPage(StatusCodes.Status429TooManyRequests, detail(seconds), back));
        }
        return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: detail(seconds))
            .ExecuteAsync(http);
    }

    private static RateLimitPartition<string> Window(string partition, int perMinute) =>
        RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
        });

    private static string Hash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)), 0, 12);
}
