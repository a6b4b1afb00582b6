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

    /// <summary>The cookie principal of the bootstrap admin (the key form, the one-time demo link).</summary>
    public static ClaimsPrincipal ForBootstrap(string? bootstrapKey) =>
        new(new ClaimsIdentity(ApiKeyHandler.BootstrapClaims().Append(new Claim(StampClaim, BootstrapStamp(bootstrapKey))),
            CookieAuthenticationDefaults.AuthenticationScheme));

    private static string BootstrapStamp(string? key) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("teamskills bootstrap session\n" + (key ?? ""))), 0, 16);

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
            if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stamp), Encoding.ASCII.GetBytes(BootstrapStamp(key))))
                reason = "the bootstrap key changed";
        }
        else
        {
            var db = context.HttpContext.RequestServices.GetRequiredService<Core.Data.TeamSkillsDbContext>();
            var current = await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => new { u.SecurityStamp }).FirstOrDefaultAsync(
                context.HttpContext.RequestAborted);
            if (current is null) reason = "the user was deleted";
            else if (!string.Equals(current.SecurityStamp ?? "", stamp, StringComparison.Ordinal)) reason = "the password was reset or changed";
        }
        if (reason is null) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignedInSessions))
            .LogInformation("Sign-in cookie of {User} refused: {Reason}.", principal?.Identity?.Name ?? "unknown", reason);
    }
}
