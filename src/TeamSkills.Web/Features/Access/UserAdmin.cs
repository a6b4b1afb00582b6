using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Access;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Email;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Access;

/// <summary>What a user change came to: 2xx with the result, or the status and why not (a field error when one field is wrong).</summary>
public sealed record UserChange(int Status, string? Title = null, string? Detail = null, IDictionary<string, string[]>? FieldErrors = null)
{
    public bool Succeeded => Status is >= 200 and < 300;
}

/// <summary>
/// Users and their API keys, for the API (<see cref="UserEndpoints"/>) and the Users page alike: the same checks,
/// audit entries and effects (a deleted user's or revoked key's live connections close; sign-in cookies end through
/// <see cref="SignedInSessions"/>). The caller has already been authorised as an Admin.
/// </summary>
public sealed class UserAdmin(UserManager<AppUser> users, TeamSkillsDbContext db, AuditLog audit, OrgClock clock, Live.LiveConnections live,
    PasswordLinks links, FirstAdmin.SetupToken setup, ILogger<UserAdmin> log)
{
    public static readonly string[] Roles = [AppRoles.Admin, AppRoles.LearningAdmin, AppRoles.Manager, AppRoles.Engineer];

    public async Task<(UserChange Change, UserView? User)> CreateAsync(string actor, string? emailText, string? roleText, bool sendPasswordLink,
        CancellationToken ct)
    {
        var email = emailText?.Trim().ToLowerInvariant() ?? "";
        var role = Roles.FirstOrDefault(r => string.Equals(r, roleText?.Trim(), StringComparison.OrdinalIgnoreCase));
        var errors = new Dictionary<string, string[]>();
        if (!ImportSupport.IsValidEmail(email)) errors["email"] = ["A valid email is required."];
        if (role is null) errors["role"] = [$"role must be one of: {string.Join(", ", Roles)}."];
        if (errors.Count > 0) return (new UserChange(422, "User rejected", string.Join(" ", errors.Values.SelectMany(v => v)), errors), null);
        if (await users.FindByEmailAsync(email) is not null)
            return (new UserChange(409, "User exists", $"A user with email {email} already exists."), null);

        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = clock.Now };
        var created = await users.CreateAsync(user);
        if (created.Succeeded) created = await users.AddToRoleAsync(user, role!);
        if (!created.Succeeded) return (new UserChange(422, "User rejected", string.Join(" ", created.Errors.Select(e => e.Description))), null);
        await audit.AddAndSaveAsync(actor, "user.created", email, "Applied", new { email, role }, ct);
        if (role == AppRoles.Admin) setup.Revoke();
        string? mailProblem = null;
        if (sendPasswordLink)
        {
            // The user exists either way: a mail server that is down must not turn the answer into an error.
            try { await links.SendAsync(user, actor, ct, invitedAs: role); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogWarning(e, "The set-password link for {Email} could not be sent", email);
                mailProblem = "The set-password email could not be sent; they can use \"Forgot your password?\" on the sign-in page.";
            }
        }
        return (new UserChange(201, Detail: mailProblem), new UserView(email, role!, user.CreatedAt, []));
    }

    public async Task<List<UserView>> ListAsync(CancellationToken ct)
    {
        var list = (await db.Users.AsNoTracking()
            .Select(u => new
            {
                u.Id, u.Email, u.CreatedAt, PasswordSet = u.PasswordHash != null,
                Role = db.UserRoles.Where(r => r.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name).FirstOrDefault(),
            })
            .ToListAsync(ct))
            .OrderBy(u => u.Email, StringComparer.Ordinal).ToList(); // ordinally, not by the database's collation
        var keys = (await db.ApiKeys.AsNoTracking().ToListAsync(ct)).ToLookup(k => k.UserId);
        return list.Select(u => new UserView(u.Email!, u.Role, u.CreatedAt,
            keys[u.Id].OrderBy(k => k.Id).Select(k => new ApiKeyView(k.Id, k.Prefix, k.CreatedAt, k.RevokedAt)).ToList())
        {
            PasswordSet = u.PasswordSet,
        }).ToList();
    }

    /// <summary>Of <paramref name="listed"/>, the users emailed a link to set their password (invitation or reset) since they
    /// were added, from the audit trail: one added without the mail was never invited, so nothing is sent "again".</summary>
    public async Task<HashSet<string>> EmailedALinkAsync(IReadOnlyList<UserView> listed, CancellationToken ct)
    {
        var added = listed.ToDictionary(u => u.Email, u => u.CreatedAt, StringComparer.Ordinal);
        // Compared here, not in SQL: SQLite cannot compare DateTimeOffset columns. These entries are one per mail sent.
        var sent = await db.AuditEntries.AsNoTracking().Where(a => a.Action == "password.reset-requested")
            .Select(a => new { a.Target, a.At }).ToListAsync(ct);
        return sent.Where(a => added.TryGetValue(a.Target, out var at) && a.At >= at).Select(a => a.Target).ToHashSet(StringComparer.Ordinal);
    }

    /// <param name="callerId">The caller's user id (NameIdentifier): nobody deletes the account they are using.</param>
    public async Task<UserChange> DeleteAsync(string actor, string? callerId, string? email, CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return new UserChange(404, "User not found", $"No user {email}.");
        if (user.Id == callerId) return new UserChange(422, "User not deleted", "You cannot delete the account you are signed in with.");
        await users.DeleteAsync(user); // its API keys go with it (cascade)
        await audit.AddAndSaveAsync(actor, "user.deleted", user.Email!, "Applied", null, ct);
        live.DisconnectUser(user.Email!); // open live connections end too, like the next API call would
        return new UserChange(204);
    }

    /// <summary>
    /// Gives the user another role, keeping their password and API keys. Their sign-in cookies end (they carry the old
    /// role: the security stamp changes) and their live connections close, so the new scope applies at once; their
    /// API keys take the new role at their next request. Nobody takes the Admin role from the account they are using.
    /// </summary>
    public async Task<(UserChange Change, UserView? User)> ChangeRoleAsync(string actor, string? callerId, string? email, string? roleText,
        CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return (new UserChange(404, "User not found", $"No user {email}."), null);
        var role = Roles.FirstOrDefault(r => string.Equals(r, roleText?.Trim(), StringComparison.OrdinalIgnoreCase));
        if (role is null)
            return (new UserChange(422, "Role rejected", $"role must be one of: {string.Join(", ", Roles)}.",
                new Dictionary<string, string[]> { ["role"] = [$"role must be one of: {string.Join(", ", Roles)}."] }), null);
        if (user.Id == callerId && role != AppRoles.Admin)
            return (new UserChange(422, "Role not changed", "You cannot take the Admin role from the account you are signed in with."), null);
        var view = new UserView(user.Email!, role, user.CreatedAt, []) { PasswordSet = user.PasswordHash is not null };

        // All or nothing, under the writer lock (the user store saves through this scope's context, so inside the
        // transaction): the current roles are read there, so two changes at once apply one after the other, and a failure
        // after the old role is removed never leaves the user with no role, or with sign-ins that keep the old one.
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            var current = await users.GetRolesAsync(user);
            if (current.Count == 1 && current[0] == role) return (new UserChange(200, Detail: "unchanged"), view);
            var result = await users.RemoveFromRolesAsync(user, current);
            if (result.Succeeded) result = await users.AddToRoleAsync(user, role);
            if (result.Succeeded) result = await users.UpdateSecurityStampAsync(user);
            if (!result.Succeeded) return (new UserChange(422, "Role not changed", string.Join(" ", result.Errors.Select(e => e.Description))), null);
            await audit.AddAndSaveAsync(actor, "user.role-changed", user.Email!, "Applied", new { from = current.FirstOrDefault(), to = role }, ct);
            await tx.CommitAsync(ct);
        }
        if (role == AppRoles.Admin) setup.Revoke();
        live.DisconnectUser(user.Email!);
        return (new UserChange(200), view);
    }

    /// <summary>
    /// Emails the user a single-use link to set their password: the invitation again (naming their role) while they
    /// have not set one, a password reset once they have. The Admin never sees the link. Detail: "invitation" or "reset".
    /// </summary>
    public async Task<UserChange> SendPasswordLinkAsync(string actor, string? email, CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return new UserChange(404, "User not found", $"No user {email}.");
        if (await links.SentInTheLastMinuteAsync(user.Email!, ct))
            return new UserChange(429, "Too soon", $"A set-password email went to {user.Email} less than a minute ago; wait a minute before sending another.");
        var invite = user.PasswordHash is null;
        var role = invite ? (await users.GetRolesAsync(user)).FirstOrDefault() ?? AppRoles.Engineer : null;
        try
        {
            await links.SendAsync(user, actor, ct, invitedAs: role);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The mail server's own words (host names, its replies) stay in the log.
            log.LogWarning(e, "The set-password link for {Email} could not be sent", user.Email);
            return new UserChange(503, "Email not sent", $"The email to {user.Email} could not be sent: the mail server refused it or could not be reached (see the server log).");
        }
        return new UserChange(202, Detail: invite ? "invitation" : "reset");
    }

    /// <summary>A new key for the user: returned once, stored as a SHA-256 hash.</summary>
    public async Task<(UserChange Change, NewApiKey? Key, string? Email)> CreateKeyAsync(string actor, string? email, CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        if (user is null) return (new UserChange(404, "User not found", $"No user {email}."), null, null);
        var key = "tsk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var entity = new ApiKey { UserId = user.Id, Prefix = key[..10], Hash = UserEndpoints.ApiKeyHash(key), CreatedAt = clock.Now };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync(ct);
        await audit.AddAndSaveAsync(actor, "apikey.created", $"{user.Email} key {entity.Id}", "Applied", new { entity.Id, entity.Prefix }, ct);
        return (new UserChange(201), new NewApiKey(entity.Id, key), user.Email);
    }

    public async Task<UserChange> RevokeKeyAsync(string actor, string? email, long id, CancellationToken ct)
    {
        var user = string.IsNullOrWhiteSpace(email) ? null : await users.FindByEmailAsync(email.Trim().ToLowerInvariant());
        var key = user is null ? null : await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.UserId == user.Id, ct);
        if (key is null) return new UserChange(404, "API key not found", $"No key {id} for {email}.");
        key.RevokedAt ??= clock.Now;
        await db.SaveChangesAsync(ct);
        await audit.AddAndSaveAsync(actor, "apikey.revoked", $"{user!.Email} key {id}", "Applied", null, ct);
        // Which key a live connection used is not kept: the user's connections close and reconnect with what is
        // still valid (their cookie or another key).
        live.DisconnectUser(user.Email!);
        return new UserChange(204);
    }
}

/// <summary>
/// The emailed single-use link that sets a password (the forgot-password page; a user just added on the Users
/// page). Built on TeamSkills:Digests:PublicUrl, never on the request's Host header: a forged Host would otherwise
/// mail the token to the account's owner inside a link to the forger's site.
/// </summary>
public sealed class PasswordLinks(UserManager<AppUser> users, IMailer mailer, EmailTemplates templates, AuditLog audit,
    IOptions<Digests.DigestOptions> digests, TeamSkillsDbContext db, OrgClock clock, IOptions<DataProtectionTokenProviderOptions> tokens)
{
    /// <summary>How long a link works, as the mail says it: the token provider's lifespan ("24 hours", "3 days").</summary>
    public static string ValidFor(TimeSpan lifespan) => lifespan.TotalHours switch
    {
        1 => "1 hour",
        var h when h <= 48 && h == Math.Floor(h) => $"{h:0} hours",
        _ when lifespan.TotalDays == Math.Floor(lifespan.TotalDays) => $"{lifespan.TotalDays:0} days",
        var h => $"{Math.Floor(h):0} hours",
    };

    /// <summary>One mail a minute per user, whoever asks (the audit trail, shared by every instance, says when the last went).</summary>
    public Task<bool> SentInTheLastMinuteAsync(string email, CancellationToken ct)
    {
        var since = clock.Now.AddMinutes(-1);
        return db.AuditEntries.AnyAsync(a => a.Action == "password.reset-requested" && a.Target == email && a.At >= since, ct);
    }

    /// <param name="actor">Who asked: "anonymous" (the forgot-password form) or the Admin who added the user.</param>
    /// <param name="invitedAs">The role of a user just added: the mail is then an invitation, not a reset.</param>
    /// <param name="details">What the audit entry adds (the forgot-password form: the requesting address).</param>
    public async Task SendAsync(AppUser user, string actor, CancellationToken ct, string? invitedAs = null, object? details = null)
    {
        var token = await users.GeneratePasswordResetTokenAsync(user);
        var link = $"{digests.Value.PublicUrl.TrimEnd('/')}/reset?email={Uri.EscapeDataString(user.Email!)}&token={Uri.EscapeDataString(token)}";
        // The recipient does not know "bootstrap-admin" (the bootstrap key's account): it is an administrator to them.
        var inviter = actor == "bootstrap-admin" ? "An administrator" : actor;
        var mail = await templates.RenderAsync("password-reset", new PasswordResetMail(user.Email!, link, ValidFor(tokens.Value.TokenLifespan),
            invitedAs is null ? null : inviter, invitedAs is null ? null : AppRoles.Display(invitedAs)), ct);
        await mailer.SendAsync(new OutgoingMail(user.Email!, mail.Subject, mail.Text, mail.Html), ct);
        await audit.AddAndSaveAsync(actor, "password.reset-requested", user.Email!, "Applied", details, ct);
    }
}

/// <summary>The model of reports/templates/email/password-reset.*.liquid: <c>{{ email }}</c>, <c>{{ link }}</c>,
/// <c>{{ validFor }}</c> (how long the link works, e.g. "24 hours"); for a user just added, <c>{{ invitedBy }}</c> and
/// <c>{{ role }}</c> (null otherwise), which make the mail an invitation.</summary>
public sealed record PasswordResetMail(string Email, string Link, string ValidFor, string? InvitedBy = null, string? Role = null);
