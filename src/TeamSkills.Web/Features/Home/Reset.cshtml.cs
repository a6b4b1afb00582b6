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

    public void OnGet(string? email, string? token) => (Email, Token) = (email, token);

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
            ? IdentityResult.Failed(new IdentityError { Description = "This reset link is not valid." })
            : await users.ResetPasswordAsync(user, token, password ?? "");
        if (!result.Succeeded)
        {
            Error = string.Join(" ", result.Errors.Select(e => e.Code == "InvalidToken" ? "This reset link is not valid or has been used." : e.Description));
            return Page();
        }
        await users.SetLockoutEndDateAsync(user!, null);
        await users.ResetAccessFailedCountAsync(user!);
        await audit.AddAndSaveAsync(user!.Email!, "password.reset", user.Email!, "Applied", null, ct);
        // The reset changed the security stamp, so the account's other sign-in cookies stop working; its open
        // live connections end too (they reconnect only with a valid cookie or key).
        live.DisconnectUser(user.Email!);
        return Redirect("/signin?done=password");
    }
}
