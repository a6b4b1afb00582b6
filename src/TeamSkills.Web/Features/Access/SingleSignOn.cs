using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Identity;
using TeamSkills.Core.Access;

namespace TeamSkills.Web.Features.Access;

public sealed class OidcOptions : IValidatableObject
{
    public const string Section = "TeamSkills:Auth:Oidc";

    public string? Authority { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enabled) yield break;
        if (!Uri.TryCreate(Authority, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            yield return new ValidationResult("TeamSkills:Auth:Oidc:Authority must be an absolute https URL.", [nameof(Authority)]);
        if (string.IsNullOrWhiteSpace(ClientId))
            yield return new ValidationResult("TeamSkills:Auth:Oidc:ClientId is required when Authority is set.", [nameof(ClientId)]);
        if (string.IsNullOrWhiteSpace(ClientSecret))
            yield return new ValidationResult("TeamSkills:Auth:Oidc:ClientSecret is required when Authority is set.", [nameof(ClientSecret)]);
    }
}

/// <summary>
/// Optional OpenID Connect single sign-on. Users are matched by the email claim to an existing TeamSkills user,
/// whose role then applies; nobody is created by signing in. Configuration is validated at start.
/// </summary>
public static class SingleSignOn
{
    public const string Scheme = "oidc";

    public static void AddSingleSignOn(this WebApplicationBuilder builder, AuthenticationBuilder auth)
    {
        builder.Services.AddOptions<OidcOptions>().BindConfiguration(OidcOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var oidc = builder.Configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        if (!oidc.Enabled) return;
        auth.AddOpenIdConnect(Scheme, o =>
        {
            o.Authority = oidc.Authority;
            o.ClientId = oidc.ClientId;
            o.ClientSecret = oidc.ClientSecret;
            o.ResponseType = "code";
            o.UsePkce = true;
            o.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            o.Scope.Add("email");
            o.Events.OnTokenValidated = async context =>
            {
                var email = context.Principal?.FindFirstValue(ClaimTypes.Email) ?? context.Principal?.FindFirstValue("email");
                var users = context.HttpContext.RequestServices.GetRequiredService<UserManager<AppUser>>();
                var user = email is null ? null : await users.FindByEmailAsync(email.ToLowerInvariant());
                if (user is null)
                {
                    context.Fail("No TeamSkills user has this email.");
                    return;
                }
                context.Principal = SignedInSessions.For(user, await users.GetRolesAsync(user));
            };
        });
    }

    public static void MapSingleSignOn(this WebApplication app)
    {
        app.MapGet("/signin/sso", (string? returnUrl, HttpContext http) =>
        {
            var oidc = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<OidcOptions>>().Value;
            if (!oidc.Enabled) return Results.Problem(statusCode: 404, title: "Single sign-on is not configured");
            var target = IsLocalPath(returnUrl) ? returnUrl! : "/";
            return Results.Challenge(new AuthenticationProperties { RedirectUri = target }, [Scheme]);
        }).AllowAnonymous().ExcludeFromDescription();
    }

    /// <summary>
    /// A path on this site, by the rule of MVC's <c>Url.IsLocalUrl</c> (which the sign-in page uses): it starts with one
    /// '/', not "//" or "/\" (browsers read both as another host: "//evil.example"), and carries no control character.
    /// The OIDC handler redirects to it after the identity provider's round trip without checking it itself.
    /// </summary>
    internal static bool IsLocalPath(string? url) =>
        !string.IsNullOrEmpty(url) && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(char.IsControl);
}
