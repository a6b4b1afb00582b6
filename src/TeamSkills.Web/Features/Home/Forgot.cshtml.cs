using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Home;

/// <summary>Password reset by emailed link (<see cref="PasswordLinks"/>): the answer is the same, and as quick,
/// whether or not the account exists; the mail goes in the background (<see cref="ForgotPasswordMails"/>).</summary>
public sealed class ForgotModel(ForgotPasswordMails mails) : PageModel
{
    public bool Sent { get; private set; }

    public void OnGet() { }

    public IActionResult OnPost([FromForm] string? email)
    {
        Sent = true;
        var address = email?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(address) && address.Length <= 320)
            mails.Enqueue(address, HttpContext.Connection.RemoteIpAddress?.ToString());
        return Page();
    }
}
