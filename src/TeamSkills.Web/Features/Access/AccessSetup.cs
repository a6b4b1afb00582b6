using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;

namespace TeamSkills.Web.Features.Access;

public static class AccessSetup
{
    public const string ApiPolicy = "Api";
    public const string WritePolicy = "ApiWrite";
    public const string PagePolicy = "Pages";
    public const string AdminPolicy = "ApiAdmin";
    /// <summary>Admin pages outside Razor Pages (the Hangfire dashboard): cookie sign-in, Admin role.</summary>
    public const string AdminPagePolicy = "AdminPages";

    public static WebApplicationBuilder AddAccess(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        builder.Services.AddSingleton<OneTimeSignIn>();
        builder.Services.AddSingleton<InvalidKeyLog>();
        builder.Services.AddSingleton<InvalidKeyBudget>();
        builder.Services.AddScoped<ScopeService>();
        builder.Services.AddScoped<UserAdmin>();
        builder.Services.AddScoped<PasswordLinks>();
        builder.Services.AddSingleton<ForgotPasswordMails>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ForgotPasswordMails>());
        builder.Services.AddSingleton<FirstAdmin.SetupToken>();
        var authentication = builder.Services
            .AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme);
        authentication
            .AddScheme<AuthenticationSchemeOptions, ApiKeyHandler>(ApiKeyHandler.SchemeName, _ => { })
            .AddCookie(o =>
            {
                o.LoginPath = "/signin";
                o.Cookie.Name = "teamskills.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.SlidingExpiration = true;
                o.ExpireTimeSpan = TimeSpan.FromHours(8);
                // A deleted user, a reset password or a rotated bootstrap key ends the cookies issued before it.
                o.Events.OnValidatePrincipal = SignedInSessions.ValidateAsync;
                // Signed in but the wrong role for this page: a plain 403, not a redirect to a page that doesn't exist.
                o.Events.OnRedirectToAccessDenied = context =>
                {
                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return Task.CompletedTask;
                };
            });
        builder.AddSingleSignOn(authentication);
        builder.Services.AddAuthorizationBuilder()
            // The /api surface authenticates by API key only: a browser cookie never authorises an API call (no CSRF).
            .AddPolicy(ApiPolicy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireAuthenticatedUser())
            .AddPolicy(WritePolicy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName)
                .RequireRole(AppRoles.Admin, AppRoles.LearningAdmin))
            .AddPolicy(AdminPolicy, p => p.AddAuthenticationSchemes(ApiKeyHandler.SchemeName).RequireRole(AppRoles.Admin))
            .AddPolicy(AdminPagePolicy, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireRole(AppRoles.Admin))
            .AddPolicy(PagePolicy, p => p.AddAuthenticationSchemes(CookieAuthenticationDefaults.AuthenticationScheme)
                .RequireAuthenticatedUser());
        builder.Services.AddAntiforgery();
        builder.Services.AddIdentityCore<Core.Access.AppUser>(o =>
            {
                o.User.RequireUniqueEmail = true;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(15);
                // Length over composition rules (NIST SP 800-63B): a 12-character passphrase, no forced digits or symbols.
                o.Password.RequiredLength = 12;
                o.Password.RequireDigit = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireNonAlphanumeric = false;
            })
            .AddRoles<Microsoft.AspNetCore.Identity.IdentityRole>()
            .AddUserValidator<UserLengthValidator>()
            .AddEntityFrameworkStores<Core.Data.TeamSkillsDbContext>()
            .AddDefaultTokenProviders();
        builder.Services.AddTeamSkillsRateLimits();
        return builder;
    }

    /// <summary>The bootstrap admin's claims, for code that acts as them (benchmarks); sign-ins use <see cref="SignedInSessions.ForBootstrap"/>.</summary>
    public static ClaimsPrincipal BootstrapPrincipal() => SignedInSessions.ForBootstrap(null);
}

/// <summary>
/// Identity keeps user names and emails in 256-character columns. PostgreSQL and SQL Server refuse a longer value when
/// it is saved (a 500); SQLite would keep it. Refused here instead, as a validation error, the same on every provider,
/// for every way a user is made (the users API, the setup link, the configured first admin).
/// </summary>
internal sealed class UserLengthValidator : IUserValidator<Core.Access.AppUser>
{
    public const int MaxLength = 256;

    public Task<IdentityResult> ValidateAsync(UserManager<Core.Access.AppUser> manager, Core.Access.AppUser user) =>
        Task.FromResult(user.Email?.Length > MaxLength || user.UserName?.Length > MaxLength
            ? IdentityResult.Failed(new IdentityError { Code = "EmailTooLong", Description = $"The email is longer than {MaxLength} characters." })
            : IdentityResult.Success);
}

/// <summary>
/// A sign-in link printed to the console that works once (demo mode, no default password): the newcomer
/// clicks it and is signed in as the org-wide admin for this browser.
/// </summary>
public sealed class OneTimeSignIn
{
    private string? _token;

    public string Issue()
    {
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        Interlocked.Exchange(ref _token, token);
        return token;
    }

    public bool Redeem(string? token)
    {
        var current = Volatile.Read(ref _token);
        return current is not null && token is not null && ApiKeyHandler.KeysEqual(token, current)
            && Interlocked.CompareExchange(ref _token, null, current) == current;
    }
}
