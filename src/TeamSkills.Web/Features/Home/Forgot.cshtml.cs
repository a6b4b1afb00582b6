using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Email;

namespace TeamSkills.Web.Features.Home;

/// <summary>Password reset by emailed link. The answer is the same whether or not the account exists.</summary>
public sealed class ForgotModel(UserManager<AppUser> users, IMailer mailer, AuditLog audit) : PageModel
{
    public bool Sent { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, CancellationToken ct)
    {
        Sent = true;
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return Page();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var link = $"{Request.Scheme}://{Request.Host}/reset?email={Uri.EscapeDataString(user.Email!)}&token={Uri.EscapeDataString(token)}";
        await mailer.SendAsync(new OutgoingMail(user.Email!, "Reset your TeamSkills password",
            $"Someone asked to reset the TeamSkills password for {user.Email}.\n\nSet a new password here:\n{link}\n\nIf it was not you, ignore this message."), ct);
        await audit.AddAndSaveAsync(user.Email!, "password.reset-requested", user.Email!, "Applied", null, ct);
        return Page();
    }
}
