using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using TeamSkills.Core.Data;

namespace TeamSkills.Web.Features.Access;

public sealed record CreateUser(string? Email, string? Role);

public sealed record ApiKeyView(long Id, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

public sealed record UserView(string Email, string? Role, DateTimeOffset CreatedAt, IReadOnlyList<ApiKeyView> ApiKeys)
{
    /// <summary>Whether the user has set a password (false: invited, and the link not used yet).</summary>
    public bool PasswordSet { get; init; }
}

public sealed record NewApiKey(long Id, string Key);

public sealed record ChangeRole(string? Role);

/// <summary>Users and their API keys (Admin only). A key is shown once and stored as a SHA-256 hash.</summary>
public static class UserEndpoints
{
    public static RouteGroupBuilder MapUsers(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequireAuthorization(AccessSetup.AdminPolicy);

        users.MapPost("", async (CreateUser body, UserAdmin admin, HttpContext http, CancellationToken ct) =>
        {
            var (change, user) = await admin.CreateAsync(CallerScope.From(http.User).Actor, body.Email, body.Role, sendPasswordLink: false, ct);
            if (change.FieldErrors is { } errors) return Results.ValidationProblem(errors, statusCode: 422, title: change.Title);
            return change.Succeeded ? Results.Created($"/api/users/{Uri.EscapeDataString(user!.Email)}", user) : Problem(change);
        });

        users.MapGet("", (UserAdmin admin, CancellationToken ct) => admin.ListAsync(ct)).Produces<List<UserView>>();

        users.MapDelete("/{email}", async (string email, UserAdmin admin, HttpContext http, CancellationToken ct) =>
            Answer(await admin.DeleteAsync(CallerScope.From(http.User).Actor, http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, email, ct)));

        users.MapPut("/{email}/role", async (string email, ChangeRole body, UserAdmin admin, HttpContext http, CancellationToken ct) =>
        {
            var (change, user) = await admin.ChangeRoleAsync(CallerScope.From(http.User).Actor,
                http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value, email, body.Role, ct);
            if (change.FieldErrors is { } errors) return Results.ValidationProblem(errors, statusCode: 422, title: change.Title);
            return change.Succeeded ? Results.Ok(user) : Problem(change);
        });

        // Emails the user a single-use link to set their password: an invitation again while they have none, else a reset.
        users.MapPost("/{email}/password-link", async (string email, UserAdmin admin, HttpContext http, CancellationToken ct) =>
        {
            var change = await admin.SendPasswordLinkAsync(CallerScope.From(http.User).Actor, email, ct);
            return change.Succeeded ? Results.Accepted(value: new { email = email.Trim().ToLowerInvariant(), mail = change.Detail }) : Problem(change);
        });

        users.MapPost("/{email}/api-keys", async (string email, UserAdmin admin, HttpContext http, CancellationToken ct) =>
        {
            var (change, key, owner) = await admin.CreateKeyAsync(CallerScope.From(http.User).Actor, email, ct);
            return change.Succeeded ? Results.Created($"/api/users/{Uri.EscapeDataString(owner!)}", key) : Problem(change);
        });

        users.MapDelete("/{email}/api-keys/{id:long}", async (string email, long id, UserAdmin admin, HttpContext http, CancellationToken ct) =>
            Answer(await admin.RevokeKeyAsync(CallerScope.From(http.User).Actor, email, id, ct)));
        return api;
    }

    private static IResult Answer(UserChange change) => change.Succeeded ? Results.NoContent() : Problem(change);

    private static IResult Problem(UserChange change) => Results.Problem(statusCode: change.Status, title: change.Title, detail: change.Detail);

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
        foreach (var role in UserAdmin.Roles)
        {
            if (!await roles.RoleExistsAsync(role)) await roles.CreateAsync(new IdentityRole(role));
        }
        await tx.CommitAsync();
    }
}
