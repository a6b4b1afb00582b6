using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Access;

/// <summary>
/// No default password: on an install with no users, either configuration names the first admin
/// (TeamSkills:Auth:FirstAdminEmail and FirstAdminPassword, for automated deployments) or the console prints a
/// one-time setup link. Its random token works, in that process only, until it is used or anyone becomes an Admin
/// (users added first, a Manager from the demo's sign-in link, do not end it); it is never printed again once users exist.
/// </summary>
public static class FirstAdmin
{
    public sealed class SetupToken
    {
        private string? _token;
        public string Issue() => _token = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        public bool IsValid(string? token) => _token is { } t && token is not null && ApiKeyHandler.KeysEqual(token, t);
        public bool Redeem(string? token) => IsValid(token) && Interlocked.Exchange(ref _token, null) is not null;
        /// <summary>Someone became an Admin (however): the link is no longer needed and never works again.</summary>
        public void Revoke() => Interlocked.Exchange(ref _token, null);
        /// <summary>Setup posts one at a time: two at once cannot both see "no users yet" and both create an admin.</summary>
        public SemaphoreSlim Gate { get; } = new(1, 1);
    }

    public static async Task PrepareAccessAsync(this WebApplication app)
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        if (users.Users.Any()) return;
        var auth = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TeamSkills.Setup");
        if (!string.IsNullOrWhiteSpace(auth.FirstAdminEmail) && !string.IsNullOrEmpty(auth.FirstAdminPassword))
        {
            var result = await CreateAdminAsync(users, auth.FirstAdminEmail, auth.FirstAdminPassword,
                scope.ServiceProvider.GetRequiredService<OrgClock>().Now);
            if (!result.Succeeded)
                throw new InvalidOperationException("TeamSkills:Auth:FirstAdminEmail/FirstAdminPassword were refused: " +
                    string.Join(" ", result.Errors.Select(e => e.Description)));
            log.LogInformation("Created the first admin {Email} from configuration.", auth.FirstAdminEmail);
            return;
        }
        var token = app.Services.GetRequiredService<SetupToken>().Issue();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = (app.Urls.FirstOrDefault() ?? "http://localhost:5080").Replace("0.0.0.0", "localhost").Replace("[::]", "localhost");
            Console.WriteLine($"  No users yet. Create the first admin (one-time link): {url}/setup?token={token}");
        });
    }

    /// <summary>Whether any user holds the Admin role (users without it cannot manage users).</summary>
    public static async Task<bool> AnyAdminAsync(UserManager<AppUser> users) => (await users.GetUsersInRoleAsync(AppRoles.Admin)).Count > 0;

    public static async Task<IdentityResult> CreateAdminAsync(UserManager<AppUser> users, string email, string password, DateTimeOffset now)
    {
        email = email.Trim().ToLowerInvariant();
        var user = new AppUser { UserName = email, Email = email, EmailConfirmed = true, CreatedAt = now };
        var result = await users.CreateAsync(user, password);
        return result.Succeeded ? await users.AddToRoleAsync(user, AppRoles.Admin) : result;
    }
}
