using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;

namespace TeamSkills.Web.Features.Home;

public sealed class SignInModel(IOptionsMonitor<AuthOptions> auth, OneTimeSignIn oneTime, AuditLog audit, ILogger<SignInModel> log) : PageModel
{
    public string? Error { get; private set; }
    public string ReturnUrl { get; private set; } = "/";

    public async Task<IActionResult> OnGetAsync(string? token, string? returnUrl)
    {
        ReturnUrl = SafeReturn(returnUrl);
        if (token is null) return Page();
        if (!oneTime.Redeem(token))
        {
            await audit.AddAndSaveAsync("anonymous", "signin.failure", "one-time link", "Refused", null, HttpContext.RequestAborted);
            Error = "This sign-in link has already been used or is not valid. Restart with --demo for a new one, or use an API key.";
            return Page();
        }
        await SignInAsync();
        await audit.AddAndSaveAsync("bootstrap-admin", "signin.success", "one-time link", "Applied", null, HttpContext.RequestAborted);
        log.LogInformation("Signed in with the one-time link.");
        return LocalRedirect(ReturnUrl);
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? key, [FromForm] string? returnUrl)
    {
        ReturnUrl = SafeReturn(returnUrl);
        var bootstrap = auth.CurrentValue.BootstrapApiKey;
        if (string.IsNullOrEmpty(key) || string.IsNullOrEmpty(bootstrap) || !ApiKeyHandler.KeysEqual(key, bootstrap))
        {
            log.LogWarning("Failed sign-in from {Ip}", HttpContext.Connection.RemoteIpAddress);
            await audit.AddAndSaveAsync("anonymous", "signin.failure", "api key form", "Refused", null, HttpContext.RequestAborted);
            Error = "That key is not valid.";
            return Page();
        }
        await SignInAsync();
        await audit.AddAndSaveAsync("bootstrap-admin", "signin.success", "api key form", "Applied", null, HttpContext.RequestAborted);
        return LocalRedirect(ReturnUrl);
    }

    private Task SignInAsync() =>
        HttpContext.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, AccessSetup.BootstrapPrincipal());

    private string SafeReturn(string? url) => !string.IsNullOrEmpty(url) && Url.IsLocalUrl(url) ? url : "/";
}
