using System.Net;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace TeamSkills.Tests.Integration;

public sealed class SingleSignOnTests
{
    [Theory]
    [InlineData("http://idp.example.test", "client", "secret", "https URL")]
    [InlineData("https://idp.example.test", "", "secret", "ClientId")]
    [InlineData("https://idp.example.test", "client", "", "ClientSecret")]
    public async Task InvalidConfiguration_StopsTheAppAtStart(string authority, string clientId, string secret, string named)
    {
        await using var app = new AppFactory()
            .With("TeamSkills:Auth:Oidc:Authority", authority)
            .With("TeamSkills:Auth:Oidc:ClientId", clientId)
            .With("TeamSkills:Auth:Oidc:ClientSecret", secret);
        var ex = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.Contains(named, ex.ToString());
    }

    [Fact]
    public async Task Challenge_RedirectsToTheConfiguredAuthority()
    {
        await using var app = OidcApp();
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await browser.GetAsync("/signin/sso");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.StartsWith("https://idp.example.test/oauth2/authorize?", location);
        Assert.Contains("client_id=teamskills", location);
        Assert.Contains("code_challenge=", location);
    }

    [Theory]
    [InlineData("/teams/3?asOf=2026-06-01", "/teams/3?asOf=2026-06-01")]
    [InlineData("//evil.example", "/")]
    [InlineData("///evil.example", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/teams\n", "/")]
    public async Task Challenge_KeepsOnlyALocalReturnUrl_ForAfterTheIdentityProvider(string returnUrl, string expected)
    {
        // Where the OIDC handler sends the browser back to travels in the protected state parameter.
        await using var app = OidcApp();
        var browser = app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var response = await browser.GetAsync("/signin/sso?returnUrl=" + Uri.EscapeDataString(returnUrl));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var state = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(response.Headers.Location!.Query)["state"].ToString();
        var options = app.Services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get("oidc");
        Assert.Equal(expected, options.StateDataFormat.Unprotect(state)!.RedirectUri);
    }

    private static AppFactory OidcApp() =>
        // No identity provider is reachable here: its discovery document is given instead of fetched.
        new AppFactory
        {
            TestServices = services => services.PostConfigure<OpenIdConnectOptions>("oidc", o =>
            {
                o.Configuration = new OpenIdConnectConfiguration
                {
                    Issuer = "https://idp.example.test",
                    AuthorizationEndpoint = "https://idp.example.test/oauth2/authorize",
                    TokenEndpoint = "https://idp.example.test/oauth2/token",
                };
                o.ConfigurationManager = new Microsoft.IdentityModel.Protocols.StaticConfigurationManager<OpenIdConnectConfiguration>(o.Configuration);
            }),
        }
            .With("TeamSkills:Auth:Oidc:Authority", "https://idp.example.test")
            .With("TeamSkills:Auth:Oidc:ClientId", "teamskills")
            .With("TeamSkills:Auth:Oidc:ClientSecret", "s3cret");

    [Fact]
    public async Task WithoutConfiguration_SsoIsOff()
    {
        await using var app = new AppFactory();
        Assert.Equal(HttpStatusCode.NotFound, (await app.CreateClient().GetAsync("/signin/sso")).StatusCode);
    }
}
