using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Access;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Access;

public sealed record CreateUser(string? Email, string? Role);

public sealed record ApiKeyView(long Id, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record UserView(string Email, string? Role, DateTimeOffset CreatedAt, IReadOnlyList<ApiKeyView> ApiKeys);

public sealed record NewApiKey(long Id, string Key);

/// <summary>Users and their API keys (Admin only). A key is shown once and stored as a SHA-256 hash.</summary>
public static class UserEndpoints
{
    public static readonly string[] Roles = [AppRoles.Admin, AppRoles.LearningAdmin, AppRoles.Manager, AppRoles.Engineer];

    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(AccessSetup.AdminPolicy);

        users.MapPost("", async (CreateUser body, UserManager<AppUser> manager, AuditLog audit, TeamSkillsDbContext db, OrgClock clock,
            HttpContext http, CancellationToken ct) =>
        {
            var email = body.Email?.Trim().ToLowerInvariant() ?? "";
            var role = Roles.FirstOrDefault(r => string.Equals(r, body.Role?.Trim(), StringComparison.OrdinalIgnoreCase));
            var errors = new Dictionary<string, string[]>();
            if (!ImportSupport.IsValidEmail(email)) errors["email"] = ["A valid email is required."];
            if (role is null) errors["role"] = [$"role must be one of: {string.Join(", ", Roles)}."];
            if (errors.Count > 0) return Results.ValidationProblem(errors, statusCode: 422, title: "User rejected");
            if (await manager.FindByEmailAsync(email) is not null)
                return Results.Problem(statusCode: 409, title: "User exists", detail: $"A user with email {email} already exists.");

            var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = clock.Now };
            var created = await manager.CreateAsync(user);
            if (created.Succeeded) created = await manager.AddToRoleAsync(user, role!);
            if (!created.Succeeded)
                return Results.Problem(statusCode: 422, title: "User rejected", detail: string.Join(" ", created.Errors.Select(e => e.Description)));
            await audit.AddAndSaveAsync(CallerScope.From(http.User).Actor, "user.created", email, "Applied", new { email, role }, ct);
            return Results.Created($"/api/users/{Uri.EscapeDataString(email)}", new UserView(email, role, user.CreatedAt, []));
        });

        users.MapGet("", async (TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var list = (await db.Users.AsNoTracking()
                .Select(u => new
                {
                    u.Id, u.Email, u.CreatedAt,
                    Role = db.UserRoles.Where(r => r.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (ur, r) => r.Name).FirstOrDefault(),
                })
                .ToListAsync(ct))
                .OrderBy(u => u.Email, StringComparer.Ordinal).ToList(); // ordinally, not by the database's collation
            var keys = (await db.ApiKeys.AsNoTracking().ToListAsync(ct)).ToLookup(k => k.UserId);
            return list.Select(u => new UserView(u.Email!, u.Role, u.CreatedAt,
                keys[u.Id].OrderBy(k => k.Id).Select(k => new ApiKeyView(k.Id, k.Prefix, k.CreatedAt, k.RevokedAt)).ToList())).ToList();
        });

        users.MapDelete("/{email}", async (string email, UserManager<AppUser> manager, AuditLog audit, Live.LiveConnections live,
            HttpContext http, CancellationToken ct) =>
        {
            var user = await manager.FindByEmailAsync(email.Trim().ToLowerInvariant());
            if (user is null) return Results.Problem(statusCode: 404, title: "User not found", detail: $"No user {email}.");
            await manager.DeleteAsync(user); // its API keys go with it (cascade)
            await audit.AddAndSaveAsync(CallerScope.From(http.User).Actor, "user.deleted", user.Email!, "Applied", null, ct);
            live.DisconnectUser(user.Email!); // open live connections end too, like the next API call would
            return Results.NoContent();
        });

        users.MapPost("/{email}/api-keys", async (string email, UserManager<AppUser> manager, TeamSkillsDbContext db, AuditLog audit, OrgClock clock,
            HttpContext http, CancellationToken ct) =>
        {
            var user = await manager.FindByEmailAsync(email.Trim().ToLowerInvariant());
            if (user is null) return Results.Problem(statusCode: 404, title: "User not found", detail: $"No user {email}.");
            var key = "tsk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var entity = new ApiKey { UserId = user.Id, Prefix = key[..10], Hash = ApiKeyHash(key), CreatedAt = clock.Now };
            db.ApiKeys.Add(entity);
            await db.SaveChangesAsync(ct);
            await audit.AddAndSaveAsync(CallerScope.From(http.User).Actor, "apikey.created", $"{user.Email} key {entity.Id}", "Applied",
                new { entity.Id, entity.Prefix }, ct);
            return Results.Created($"/api/users/{Uri.EscapeDataString(user.Email!)}", new NewApiKey(entity.Id, key));
        });

        users.MapDelete("/{email}/api-keys/{id:long}", async (string email, long id, UserManager<AppUser> manager, TeamSkillsDbContext db,
            AuditLog audit, OrgClock clock, Live.LiveConnections live, HttpContext http, CancellationToken ct) =>
        {
            var user = await manager.FindByEmailAsync(email.Trim().ToLowerInvariant());
            var key = user is null ? null : await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.UserId == user.Id, ct);
            if (key is null) return Results.Problem(statusCode: 404, title: "API key not found", detail: $"No key {id} for {email}.");
            key.RevokedAt ??= clock.Now;
            await db.SaveChangesAsync(ct);
            await audit.AddAndSaveAsync(CallerScope.From(http.User).Actor, "apikey.revoked", $"{user!.Email} key {id}", "Applied", null, ct);
            // Which key a live connection used is not kept: the user's connections close and reconnect with what is
            // still valid (their cookie or another key).
            live.DisconnectUser(user.Email!);
            return Results.NoContent();
        });
        return api;
    }

    public static string ApiKeyHash(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The four roles exist in every database.</summary>
    public static async Task SeedRolesAsync(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        // Under the writer lock (the role store saves through this scope's context, so inside it): instances
        // starting at once on an empty database create each role once.
        var db = scope.ServiceProvider.GetRequiredService<TeamSkillsDbContext>();
        await using var tx = await db.BeginWriteTransactionAsync(CancellationToken.None);
        foreach (var role in Roles)
        {
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        }
        await tx.CommitAsync();
    }
}
