using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Home;

/// <summary>Password reset by emailed link (<see cref="PasswordLinks"/>). The answer is the same whether or not the account exists.</summary>
public sealed class ForgotModel(UserManager<AppUser> users, PasswordLinks links) : PageModel
{
    public bool Sent { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, CancellationToken ct)
    {
        Sent = true;
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is not null) await links.SendAsync(user, user.Email!, ct);
        return Page();
    }
}
