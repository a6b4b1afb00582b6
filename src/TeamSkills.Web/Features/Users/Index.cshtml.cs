using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Users;

/// <summary>
/// The Admin's users page: add a user with a role (and email them a link to set their password), delete one, issue
/// and revoke API keys. Every change goes through <see cref="UserAdmin"/>, the same code as <c>/api/users</c>; success
/// redirects (PRG) with a status line, except a new key, which is shown once on the answer to its POST and never again.
/// </summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class UsersPageModel(UserAdmin admin, Microsoft.Extensions.Options.IOptions<OidcOptions> oidc) : PageModel
{
    /// <summary>With single sign-on, a user without a password is usual (they sign in through the identity provider).</summary>
    public bool SingleSignOn => oidc.Value.Enabled;

    public IReadOnlyList<UserView> Users { get; private set; } = [];
    /// <summary>The listed users who were ever emailed a set-password link: "again" is only offered to them.</summary>
    public IReadOnlySet<string> Emailed { get; private set; } = new HashSet<string>();
    public static IReadOnlyList<string> Roles => UserAdmin.Roles;

    [TempData]
    public string? Status { get; set; }

    public string? Error { get; private set; }
    /// <summary>A key just issued: shown on this answer only (it is stored hashed).</summary>
    public (string Email, NewApiKey Key)? Issued { get; private set; }
    /// <summary>The caller is the bootstrap admin (the one-time link or the bootstrap key) and no user is an Admin who can
    /// sign in yet: once the app restarts without a link (or the key changes), nobody could manage users from a page.
    /// An Admin who has not set a password yet does not count (with single sign-on, one without a password does).</summary>
    public bool NoAdminOfTheirOwn => User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value == "bootstrap"
        && !Admins.Any(u => u.PasswordSet || SingleSignOn);

    /// <summary>The users who are Admins.</summary>
    public IEnumerable<UserView> Admins => Users.Where(u => string.Equals(u.Role, AppRoles.Admin, StringComparison.OrdinalIgnoreCase));
    public string? PostedEmail { get; private set; }
    public string? PostedRole { get; private set; }

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        if (!User.IsInRole(AppRoles.Admin)) context.Result = Forbid();
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await ListAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateAsync(string? email, string? role, bool sendLink, CancellationToken ct)
    {
        var (change, user) = await admin.CreateAsync(Actor, email, role, sendLink, ct);
        if (!change.Succeeded)
        {
            (PostedEmail, PostedRole) = (email, role);
            return await RejectAsync(change, ct);
        }
        return Done($"Added {user!.Email} as {AppRoles.Display(user.Role)}." + (change.Detail is { } problem ? " " + problem
            : sendLink ? " They were emailed a link to set their password."
            : SingleSignOn ? " They sign in through single sign-on."
            : " They cannot sign in until they set a password: “Send an invitation” in their row emails them a link."));
    }

    public async Task<IActionResult> OnPostDeleteAsync(string? email, CancellationToken ct)
    {
        var change = await admin.DeleteAsync(Actor, User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, email, ct);
        return change.Succeeded ? Done($"Deleted {email}: their sign-ins, keys and live connections have ended.") : await RejectAsync(change, ct);
    }

    public async Task<IActionResult> OnPostRoleAsync(string? email, string? role, CancellationToken ct)
    {
        var (change, user) = await admin.ChangeRoleAsync(Actor, User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, email, role, ct);
        if (!change.Succeeded) return await RejectAsync(change, ct);
        return Done(change.Detail == "unchanged"
            ? $"{user!.Email} already is {AppRoles.Display(user.Role)}."
            : $"{user!.Email} is now {AppRoles.Display(user.Role)}: their sign-ins ended, their API keys carry the new role.");
    }

    public async Task<IActionResult> OnPostSendLinkAsync(string? email, CancellationToken ct)
    {
        var change = await admin.SendPasswordLinkAsync(Actor, email, ct);
        if (!change.Succeeded) return await RejectAsync(change, ct);
        return Done(change.Detail == "invitation"
            ? $"Sent {email} an invitation, with a link to set their password."
            : $"Sent {email} a link to reset their password. Their current password works until they use it.");
    }

    public async Task<IActionResult> OnPostCreateKeyAsync(string? email, CancellationToken ct)
    {
        var (change, key, owner) = await admin.CreateKeyAsync(Actor, email, ct);
        if (!change.Succeeded) return await RejectAsync(change, ct);
        Issued = (owner!, key!);
        await ListAsync(ct);
        Response.Headers.CacheControl = "no-store"; // the page holds a secret
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(string? email, long id, CancellationToken ct)
    {
        var change = await admin.RevokeKeyAsync(Actor, email, id, ct);
        return change.Succeeded ? Done($"Revoked key {id} of {email}.") : await RejectAsync(change, ct);
    }

    private string Actor => CallerScope.From(User).Actor;

    private async Task ListAsync(CancellationToken ct)
    {
        Users = await admin.ListAsync(ct);
        Emailed = await admin.EmailedALinkAsync(Users, ct);
    }

    private IActionResult Done(string status)
    {
        Status = status;
        return RedirectToPage();
    }

    private async Task<IActionResult> RejectAsync(UserChange change, CancellationToken ct)
    {
        Error = change.Detail ?? change.Title;
        await ListAsync(ct);
        Response.StatusCode = change.Status;
        return Page();
    }
}
