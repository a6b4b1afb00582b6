using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Home;

/// <summary>The one-time setup link: valid until an Admin exists, then never again. Users added before that (a Manager
/// added from the demo's one-time sign-in) do not close it: nobody could manage users after a restart.</summary>
public sealed class SetupModel(FirstAdmin.SetupToken setup, UserManager<AppUser> users, AuditLog audit, OrgClock clock) : PageModel
{
    public string? Error { get; private set; }
    public bool TokenValid { get; private set; }
    public string? Token { get; private set; }

    public async Task<IActionResult> OnGetAsync(string? token)
    {
        Token = token;
        var adminExists = await FirstAdmin.AnyAdminAsync(users);
        TokenValid = setup.IsValid(token) && !adminExists;
        if (!TokenValid) Error = Refusal(token, adminExists);
        return Page();
    }

    /// <summary>Why the link does not work: an Admin already exists (who signs in instead), or it is not the current link.</summary>
    private static string Refusal(string? token, bool adminExists) => adminExists
        ? "This setup link is not valid or has already been used: an Admin already exists. Sign in, or ask an Admin to send you an invitation."
        : $"This setup link is not valid{(string.IsNullOrEmpty(token) ? "" : " or has already been used")}. The link printed when the app started works until an Admin exists.";

    public async Task<IActionResult> OnPostAsync([FromForm] string? token, [FromForm] string? email, [FromForm] string? password)
    {
        Token = token;
        await setup.Gate.WaitAsync(HttpContext.RequestAborted);
        try
        {
            var adminExists = await FirstAdmin.AnyAdminAsync(users);
            if (!setup.IsValid(token) || adminExists)
            {
                Error = Refusal(token, adminExists);
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
