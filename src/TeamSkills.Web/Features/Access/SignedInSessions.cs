using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Access;

namespace TeamSkills.Web.Features.Access;

/// <summary>
/// Sign-in cookies that end when what they were issued for changes. Each cookie carries a stamp: a user's
/// security stamp (Identity changes it when the password is reset or changed), or, for the bootstrap admin, a hash
/// of the bootstrap key. Every request checks it: a deleted user, a reset password or a rotated bootstrap key ends
/// every cookie issued before, on every instance, at the next request, and the roles a cookie carries are those the
/// user still has (roles are only set when a user is created, and a user deleted and created again is a new id).
/// <para>Signing out ends every session of that account, not just the browser's: a user's security stamp is
/// changed, and the bootstrap admin's session generation (app_state) is bumped. A copy of the cookie taken before
/// sign-out is refused at its next request, on every instance, and the account's open live connections are closed.</para>
/// </summary>
public static class SignedInSessions
{
    public const string StampClaim = "teamskills:stamp";

    /// <summary>The cookie principal of a local or single-sign-on user.</summary>
    public static ClaimsPrincipal For(AppUser user, IEnumerable<string> roles) =>
        new(new ClaimsIdentity(roles.Select(r => new Claim(ClaimTypes.Role, r)).Concat(
        [
            new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.Email!), new Claim(ClaimTypes.Email, user.Email!),
            new Claim(StampClaim, user.SecurityStamp ?? ""),
        ]), CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>The cookie principal of the bootstrap admin (the key form, the one-time demo link), issued under the
    /// current session generation (<see cref="BootstrapGenerationAsync"/>).</summary>
    public static ClaimsPrincipal ForBootstrap(string? bootstrapKey, long generation = 0) =>
        new(new ClaimsIdentity(ApiKeyHandler.BootstrapClaims().Append(new Claim(StampClaim, BootstrapStamp(bootstrapKey, generation))),
            CookieAuthenticationDefaults.AuthenticationScheme));

    private static string BootstrapStamp(string? key, long generation) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"teamskills bootstrap session\n{generation}\n{key ?? ""}")), 0, 16);

    public static Task<long> BootstrapGenerationAsync(Core.Data.TeamSkillsDbContext db, CancellationToken ct) =>
        db.AppState.Where(s => s.Key == Core.Data.AppState.BootstrapSessions).Select(s => s.Value).FirstOrDefaultAsync(ct);

    /// <summary>Sign-out: ends every session of the signed-in account (see the class summary), then the cookie.</summary>
    public static async Task SignOutEverywhereAsync(HttpContext http)
    {
        var id = http.User.FindFirstValue(ClaimTypes.NameIdentifier);
        var services = http.RequestServices;
        if (id == "bootstrap")
        {
            var db = services.GetRequiredService<Core.Data.TeamSkillsDbContext>();
            for (var attempt = 0; ; attempt++)
            {
                var bumped = await db.AppState.Where(s => s.Key == Core.Data.AppState.BootstrapSessions)
                    .ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, x => x.Value + 1), http.RequestAborted);
                if (bumped > 0) break;
                db.AppState.Add(new Core.Data.AppState { Key = Core.Data.AppState.BootstrapSessions, Value = 1 });
                try
                {
                    await db.SaveChangesAsync(http.RequestAborted);
                    break;
                }
                // Another sign-out inserted the row first: bump it instead.
                catch (DbUpdateException) when (attempt == 0)
                {
                    db.ChangeTracker.Clear();
                }
            }
        }
        else if (id is not null)
        {
            var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<AppUser>>();
            if (await users.FindByIdAsync(id) is { } user) await users.UpdateSecurityStampAsync(user);
        }
        // Open live connections of the account end too (on every instance), as its cookies do: a connection's cookie
        // is only checked when it connects, so a copy of it would otherwise keep receiving pushes. A client on an API
        // key of the same account reconnects with its key.
        if (http.User.Identity?.Name is { Length: > 0 } name) services.GetRequiredService<Live.LiveConnections>().DisconnectUser(name);
        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    /// <summary>The cookie handler's OnValidatePrincipal: one indexed read per signed-in request.</summary>
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var principal = context.Principal;
        var id = principal?.FindFirstValue(ClaimTypes.NameIdentifier);
        var stamp = principal?.FindFirstValue(StampClaim);
        string? reason = null;
        if (id is null || stamp is null) reason = "issued before sessions were stamped";
        else if (id == "bootstrap")
        {
            var key = context.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<AuthOptions>>().CurrentValue.BootstrapApiKey;
            var generation = await BootstrapGenerationAsync(context.HttpContext.RequestServices.GetRequiredService<Core.Data.TeamSkillsDbContext>(),
                context.HttpContext.RequestAborted);
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(BootstrapStamp(key, generation))))
                reason = "the bootstrap key changed, or the session was signed out";
        }
        else
        {
            var db = context.HttpContext.RequestServices.GetRequiredService<Core.Data.TeamSkillsDbContext>();
            var current = await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new { u.SecurityStamp }).FirstOrDefaultAsync(
                context.HttpContext.RequestAborted);
            if (current is null) reason = "the user was deleted";
            else if (!string.Equals(current.SecurityStamp ?? "", stamp, StringComparison.Ordinal)) reason = "the password was reset or changed, or the user signed out";
        }
        if (reason is null) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignedInSessions))
            .LogInformation("Sign-in cookie of {User} refused: {Reason}.", principal?.Identity?.Name ?? "unknown", reason);
    }
}
