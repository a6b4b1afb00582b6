using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Audit;

namespace TeamSkills.Web.Features.Home;

/// <summary>The emailed link's target: a valid token sets the password (once) and lifts any lockout.</summary>
public sealed class ResetModel(UserManager<AppUser> users, AuditLog audit, Live.LiveConnections live) : PageModel
{
    public string? Email { get; private set; }
    public string? Token { get; private set; }
    public string? Error { get; private set; }
    /// <summary>False when the link cannot set a password (used, expired, altered): the page says so and shows no form.</summary>
    public bool Usable { get; private set; } = true;
    /// <summary>The account has no password yet: an invitation, not a reset.</summary>
    public bool FirstPassword { get; private set; }

    public async Task OnGetAsync(string? email, string? token)
    {
        (Email, Token) = (email, token);
        // Checked before anyone types a password: a used link says so at once, the same for every address.
        var user = string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(token) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null || !await users.VerifyUserTokenAsync(user, users.Options.Tokens.PasswordResetTokenProvider,
                UserManager<AppUser>.ResetPasswordTokenPurpose, token!))
        {
            Usable = false;
            Error = UnusableLink;
            return;
        }
        FirstPassword = !await users.HasPasswordAsync(user);
    }

    private const string UnusableLink = "This link is not valid or has already been used. Ask for a new one (Forgot your password?), or ask an Admin to send you one.";

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, [FromForm] string? token, [FromForm] string? password,
        [FromForm] string? confirm, CancellationToken ct)
    {
        (Email, Token) = (email, token);
        // The page asks twice; a client that sends no confirmation (the API-minded) is not held to it.
        if (confirm is not null && confirm != password)
        {
            Error = "The two passwords differ: type the same one twice.";
            return Page();
        }
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        var result = user is null || token is null
            ? IdentityResult.Failed(new IdentityError { Code = "InvalidToken", Description = UnusableLink })
            : await users.ResetPasswordAsync(user, token, password ?? "");
        if (!result.Succeeded)
        {
            var invalid = result.Errors.Any(e => e.Code == "InvalidToken") || user is null || token is null;
            (Usable, Error) = invalid ? (false, UnusableLink) : (true, string.Join(" ", result.Errors.Select(e => e.Description)));
            return Page();
        }
        await users.SetLockoutEndDateAsync(user!, null);
        await users.ResetAccessFailedCountAsync(user!);
        await audit.AddAndSaveAsync(user!.Email!, "password.reset", user.Email!, "Applied", null, ct);
        // The reset changed the security stamp, so the account's other sign-in cookies stop working; its open
        // live connections end too (they reconnect only with a valid cookie or key).
        live.DisconnectUser(user.Email!);
        return Redirect("/signin" + QueryString.Create(new KeyValuePair<string, string?>[] { new("done", "password"), new("email", user.Email) }));
    }
}
