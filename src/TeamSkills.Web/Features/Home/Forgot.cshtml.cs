using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Email;

namespace TeamSkills.Web.Features.Home;

/// <summary>Password reset by emailed link. The answer is the same whether or not the account exists.</summary>
/// <remarks>The link is built on TeamSkills:Digests:PublicUrl, never on the request's Host header: a forged Host
/// would otherwise mail the token to the account's owner inside a link to the forger's site.</remarks>
public sealed class ForgotModel(UserManager<AppUser> users, IMailer mailer, EmailTemplates templates, AuditLog audit,
    Microsoft.Extensions.Options.IOptions<Digests.DigestOptions> digests) : PageModel
{
    public bool Sent { get; private set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync([FromForm] string? email, CancellationToken ct)
    {
        Sent = true;
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return Page();
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var link = $"{digests.Value.PublicUrl.TrimEnd('/')}/reset?email={Uri.EscapeDataString(user.Email!)}&token={Uri.EscapeDataString(token)}";
        var mail = await templates.RenderAsync("password-reset", new PasswordResetMail(user.Email!, link), ct);
        await mailer.SendAsync(new OutgoingMail(user.Email!, mail.Subject, mail.Text, mail.Html), ct);
        await audit.AddAndSaveAsync(user.Email!, "password.reset-requested", user.Email!, "Applied", null, ct);
        return Page();
    }
}

/// <summary>The model of reports/templates/email/password-reset.*.liquid: <c>{{ email }}</c>, <c>{{ link }}</c>.</summary>
public sealed record PasswordResetMail(string Email, string Link);
