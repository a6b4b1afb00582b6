using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Home;

/// <summary>The one-time setup link: valid until it is used or anyone is an Admin, then never again. Users added before
/// that (a Manager added from the demo's one-time sign-in) do not end it: nobody could manage users after a restart.</summary>
public sealed class SetupModel(FirstAdmin.SetupToken setup, UserManager<AppUser> users, AuditLog audit, OrgClock clock) : PageModel
{
    public string? Error { get; private set; }
    public bool TokenValid { get; private set; }
    public string? Token { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token)
    {
        Token = token;
        TokenValid = await UsableAsync(token);
        if (!TokenValid) Error = Refusal;
        return Page();
    }

    /// <summary>The current link, with no Admin yet. An Admin made elsewhere (the Users page, the API) ends the link too.</summary>
    private async Task<bool> UsableAsync(string? token)
    {
        if (!setup.IsValid(token)) return false;
        if (!await FirstAdmin.AnyAdminAsync(users)) return true;
        setup.Revoke();
        return false;
    }

    /// <summary>The same for any link that does not work: the page tells a visitor nothing about the install.</summary>
    private const string Refusal = "This setup link is not valid or has already been used (it ends once anyone is an Admin). " +
        "Sign in, or ask an Admin to send you an invitation.";

    public async Task<IActionResult> OnPostAsync([FromForm] string? token, [FromForm] string? email, [FromForm] string? password)
    {
        Token = token;
        await setup.Gate.WaitAsync(HttpContext.RequestAborted);
        try
        {
            if (!await UsableAsync(token))
            {
                Error = Refusal;
                return Page();
            }
            var result = await FirstAdmin.CreateAdminAsync(users, email ?? "", password ?? "", clock.Now);
            if (!result.Succeeded)
            {
                TokenValid = true;
                Error = string.Join(" ", result.Errors.Select(e => e.Description));
                return Page();
            }
            setup.Redeem(token);
        }
        finally
        {
            setup.Gate.Release();
        }
        var admin = email!.Trim().ToLowerInvariant();
        await audit.AddAndSaveAsync(admin, "user.created", "first admin via setup link", "Applied", null, HttpContext.RequestAborted);
        // Says it worked and fills the email in, as after a password reset: a bare sign-in form looked like a failure.
        return Redirect("/signin" + QueryString.Create(new KeyValuePair<string, string?>[] { new("done", "setup"), new("email", admin) }));
    }
}
