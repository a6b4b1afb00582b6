using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Home;

/// <summary>The one-time setup link: valid until the first admin exists, then never again.</summary>
public sealed class SetupModel(FirstAdmin.SetupToken setup, UserManager<AppUser> users, AuditLog audit, OrgClock clock) : PageModel
{
    public string? Error { get; private set; }
    public bool TokenValid { get; private set; }
    public string? Token { get; private set; }

    public IActionResult OnGet(string? token)
    {
        Token = token;
        TokenValid = setup.IsValid(token) && !users.Users.Any();
        if (!TokenValid) Error = "This setup link is not valid or has already been used.";
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? token, [FromForm] string? email, [FromForm] string? password)
    {
        Token = token;
        await setup.Gate.WaitAsync(HttpContext.RequestAborted);
        try
        {
            if (!setup.IsValid(token) || users.Users.Any())
            {
                Error = "This setup link is not valid or has already been used.";
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
