using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using TeamSkills.Core.Access;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;

namespace TeamSkills.Web.Features.Home;

public sealed class SignInModel(IOptionsMonitor<AuthOptions> auth, OneTimeSignIn oneTime, AuditLog audit,
    UserManager<AppUser> users, ILogger<SignInModel> log) : PageModel
{
    public string? Error { get; private set; }
    public string ReturnUrl { get; private set; } = "/";
    public bool BootstrapKeyConfigured => !string.IsNullOrEmpty(auth.CurrentValue.BootstrapApiKey);

    /// <summary>What just happened, said on the page: only these fixed texts, whatever the query holds.</summary>
    public string? Done { get; private set; }

    /// <summary>The address to fill in (after a password was set from a link); shown encoded, never trusted.</summary>
    public string? Email { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token, string? returnUrl, string? done, string? email)
    {
        ReturnUrl = SafeReturn(returnUrl);
        Email = email is { Length: <= 320 } ? email : null;
        Done = done switch
        {
            "password" => "Your password is set. Sign in with it.",
            "setup" => "Setup is done: you are the first admin. Sign in with the password you just chose.",
            "signout" => "You are signed out, in every browser where this account was signed in.",
            _ => null,
        };
        if (token is null) return Page();
        if (!oneTime.Redeem(token))
        {
            await audit.AddAndSaveAsync("anonymous", "signin.failure", "one-time link", "Refused", null, HttpContext.RequestAborted);
            Error = "This sign-in link has already been used or is not valid. Restart with --demo for a new one, or sign in with your email and password.";
            return Page();
        }
        await SignInAsync();
        await audit.AddAndSaveAsync("bootstrap-admin", "signin.success", "one-time link", "Applied", null, HttpContext.RequestAborted);
        log.LogInformation("Signed in with the one-time link.");
        return LocalRedirect(ReturnUrl);
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? key, [FromForm] string? email, [FromForm] string? password,
        [FromForm] string? returnUrl)
    {
        ReturnUrl = SafeReturn(returnUrl);
        if (string.IsNullOrEmpty(key)) return await PasswordSignInAsync(email?.Trim().ToLowerInvariant() ?? "", password ?? "");
        var bootstrap = auth.CurrentValue.BootstrapApiKey;
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(bootstrap) || !ApiKeyHandler.KeysEqual(key, bootstrap))
        {
            log.LogWarning("Failed sign-in from {Ip}", HttpContext.Connection.RemoteIpAddress);
            await audit.AddAndSaveAsync("anonymous", "signin.failure", "api key form", "Refused", null, HttpContext.RequestAborted);
            Error = "That key is not valid here: only the org-wide bootstrap key signs in on this form. A user's own API key works " +
                "on the API; sign in with your email and password.";
            return Page();
        }
        await SignInAsync();
        await audit.AddAndSaveAsync("bootstrap-admin", "signin.success", "api key form", "Applied", null, HttpContext.RequestAborted);
        return LocalRedirect(ReturnUrl);
    }

    /// <summary>Local account: lockout after repeated failures (Identity's counter), every attempt audited.</summary>
    private async Task<IActionResult> PasswordSignInAsync(string email, string password)
    {
        var ct = HttpContext.RequestAborted;
        Email = email.Length <= 320 ? email : null; // kept in the field when the answer is the page again
        var user = email.Length == 0 ? null : await users.FindByEmailAsync(email);
        if (user is not null && await users.IsLockedOutAsync(user))
        {
            await audit.AddAndSaveAsync(email, "signin.failure", "password", "LockedOut", null, ct);
            Error = "Too many failed attempts: this account is locked for a while. Try again later or reset your password.";
            return Page();
        }
        if (user is null || !await users.CheckPasswordAsync(user, password))
        {
            if (user is not null) await users.AccessFailedAsync(user);
            await audit.AddAndSaveAsync(email.Length == 0 ? "anonymous" : email, "signin.failure", "password", "Refused", null, ct);
            Error = "Email or password is not right.";
            return Page();
        }
        await users.ResetAccessFailedCountAsync(user);
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme,
            SignedInSessions.For(user, await users.GetRolesAsync(user)));
        await audit.AddAndSaveAsync(user.Email!, "signin.success", "password", "Applied", null, ct);
        return LocalRedirect(ReturnUrl);
    }

    private async Task SignInAsync() =>
        await HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, SignedInSessions.ForBootstrap(auth.CurrentValue.BootstrapApiKey,
            await SignedInSessions.BootstrapGenerationAsync(HttpContext.RequestServices.GetRequiredService<Core.Data.TeamSkillsDbContext>(), HttpContext.RequestAborted)));

    private string SafeReturn(string? url) => !string.IsNullOrEmpty(url) && Url.IsLocalUrl(url) ? url : "/";
}
