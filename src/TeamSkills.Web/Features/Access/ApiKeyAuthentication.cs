using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace TeamSkills.Web.Features.Access;

public sealed class AuthOptions
{
    public const string Section = "TeamSkills:Auth";

    /// <summary>The org-wide admin key; without it no API key is accepted.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>For automated deployments: the first admin, created at start when there are no users.</summary>
    public string? FirstAdminEmail { get; set; }
    public string? FirstAdminPassword { get; set; }
}

public static class AppRoles
{
    public const string Admin = "Admin";
    public const string LearningAdmin = "LearningAdmin";
    public const string Manager = "Manager";
    public const string Engineer = "Engineer";

    /// <summary>A role as people read it: LearningAdmin is "L&amp;D" on the pages and in mail (the API keeps the name).</summary>
    public static string Display(string? role) => role switch
    {
        null or "" => "no role",
        LearningAdmin => "L&D",
        _ => role,
    };
}

/// <summary>Authenticates <c>X-Api-Key</c>. The bootstrap key is compared by hash in constant time.</summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    IOptionsMonitor<AuthOptions> auth, InvalidKeyLog invalidKeys, InvalidKeyBudget invalidKeyBudget)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";
    private const string ThrottledItem = "TeamSkills.ApiKeyThrottled";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Headers[Header].ToString();
        // On the hub only, the two ways SignalR clients carry an accessTokenFactory's token: "Authorization: Bearer"
        // (negotiate, long polling, server-sent events) and access_token (browsers' WebSocket API cannot send headers).
        // A Bearer value that is not shaped like a user key (tsk_…: a proxy's or an identity provider's token) is not ours
        // to judge: it neither fails the request nor spends the address's wrong-key budget. The bootstrap key is never
        // taken from a Bearer header: compared there without a budget, it could be guessed for free.
        if (presented.Length == 0 && Request.Path.StartsWithSegments("/hubs"))
        {
            var authorization = Request.Headers.Authorization.ToString();
            var bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : "";
            presented = bearer.StartsWith("tsk_", StringComparison.Ordinal) ? bearer : Request.Query["access_token"].ToString();
        }
        if (presented.Length == 0) return AuthenticateResult.NoResult();
        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (invalidKeyBudget.IsSpent(address, out var retryAfter))
        {
            Context.Items[ThrottledItem] = retryAfter;
            return AuthenticateResult.Fail("Too many wrong API keys from this address.");
        }
        var bootstrap = auth.CurrentValue.BootstrapApiKey;
        IEnumerable<Claim>? claims = null;
        if (!string.IsNullOrEmpty(bootstrap) && KeysEqual(presented, bootstrap)) claims = BootstrapClaims();
        else if (presented.StartsWith("tsk_", StringComparison.Ordinal)) claims = await UserKeyClaimsAsync(presented);
        if (claims is null)
        {
            invalidKeyBudget.Spend(address);
            invalidKeys.Record(address, Request.Path);
            return AuthenticateResult.Fail("Invalid API key.");
        }
        var identity = new ClaimsIdentity(claims, SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    /// <summary>A user's key, looked up by hash on every request: a revoked key or deleted user fails at once.</summary>
    private async Task<IEnumerable<Claim>?> UserKeyClaimsAsync(string presented)
    {
        var db = Context.RequestServices.GetRequiredService<Core.Data.TeamSkillsDbContext>();
        var hash = UserEndpoints.ApiKeyHash(presented);
        var user = await db.ApiKeys.AsNoTracking()
            .Where(k => k.Hash == hash && k.RevokedAt == null)
            .Join(db.Users, k => k.UserId, u => u.Id, (k, u) => new { u.Id, u.Email })
            .FirstOrDefaultAsync(Context.RequestAborted);
        if (user is null) return null;
        var roles = await db.UserRoles.Where(r => r.UserId == user.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name!)
            .ToListAsync(Context.RequestAborted);
        return roles.Select(r => new Claim(ClaimTypes.Role, r)).Concat(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id),
            new Claim(ClaimTypes.Name, user.Email!),
            new Claim(ClaimTypes.Email, user.Email!),
        ]);
    }

    public static IEnumerable<Claim> BootstrapClaims() =>
    [
        new Claim(ClaimTypes.NameIdentifier, "bootstrap"),
        new Claim(ClaimTypes.Name, "bootstrap-admin"),
        new Claim(ClaimTypes.Role, AppRoles.Admin),
    ];

    public static bool KeysEqual(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[ThrottledItem] is TimeSpan retryAfter)
        {
            await RateLimits.TooManyAsync(Context, retryAfter,
                seconds => $"Too many wrong API keys from your address: no key is checked for {seconds} s. Check the key your client sends.");
            return;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Results.Problem(
            title: "Unauthorized",
            detail: $"Send a valid API key in the {Header} header.",
            statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await Results.Problem(title: "Forbidden", detail: "Your role does not allow this action.",
            statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(Context);
    }
}

/// <summary>
/// Invalid API keys, logged as a bounded summary: the first of each minute at once, the others counted and reported
/// with the first one after that minute. A flood of wrong keys writes about a line a minute instead of one per
/// request (appsettings.json keeps the handler's own per-request lines at Warning for the same reason).
/// </summary>
public sealed class InvalidKeyLog(TimeProvider time, ILogger<InvalidKeyLog> log)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Lock _lock = new();
    private DateTimeOffset _windowStart = DateTimeOffset.MinValue;
    private long _unlogged;

    public void Record(string? address, string path)
    {
        var now = time.GetUtcNow();
        long before;
        lock (_lock)
        {
            if (now - _windowStart < Window)
            {
                _unlogged++;
                return;
            }
            (before, _unlogged, _windowStart) = (_unlogged, 0, now);
        }
        log.LogWarning("Invalid API key from {Address} on {Path}; {Unlogged} more invalid API keys since the last such line.",
            address ?? "unknown", path, before);
    }
}
