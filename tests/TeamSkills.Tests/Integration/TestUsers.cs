using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Access;

namespace TeamSkills.Tests.Integration;

/// <summary>Who a test acts as: a cookie browser signed in as the bootstrap admin or as a user, or a user's API key.</summary>
public static partial class TestUsers
{
    public const string Password = "a long enough passphrase";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    /// <summary>The antiforgery token of the first form in a page.</summary>
    public static string Token(string html)
    {
        var token = TokenPattern().Match(html).Groups[1].Value;
        Assert.NotEmpty(token);
        return token;
    }

    /// <summary>A browser: keeps cookies, does not follow redirects.</summary>
    public static HttpClient Browser(this AppFactory app) =>
        app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true, BaseAddress = app.ClientOptions.BaseAddress });

    /// <summary>Signed in through the sign-in page's API-key form with the bootstrap key (the org-wide admin).</summary>
    public static async Task<HttpClient> SignedInAdminAsync(this AppFactory app)
    {
        var browser = app.Browser();
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["key"] = AppFactory.ApiKey, ["returnUrl"] = "/", ["__RequestVerificationToken"] = Token(await browser.GetStringAsync("/signin")),
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    /// <summary>A new user with a password (set as the reset page would), signed in through the password form.</summary>
    public static async Task<HttpClient> SignedInAsAsync(this AppFactory app, string email, string role, string password = Password)
    {
        Assert.Equal(HttpStatusCode.Created, (await app.Api().PostAsJsonAsync("/api/users", new { email, role })).StatusCode);
        await app.SetPasswordAsync(email, password);
        return await app.PasswordSignedInAsync(email, password);
    }

    /// <summary>An existing user's first password, set as the reset page would.</summary>
    public static async Task SetPasswordAsync(this AppFactory app, string email, string password)
    {
        using var scope = app.Services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<AppUser>>();
        Assert.True((await users.AddPasswordAsync((await users.FindByEmailAsync(email))!, password)).Succeeded);
    }

    /// <summary>A new browser signed in through the password form as an existing user.</summary>
    public static async Task<HttpClient> PasswordSignedInAsync(this AppFactory app, string email, string password)
    {
        var browser = app.Browser();
        var response = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email, ["password"] = password, ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = Token(await browser.GetStringAsync("/signin")),
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return browser;
    }

    /// <summary>A user (created if new) and a fresh API key of theirs.</summary>
    public static async Task<string> ApiKeyForAsync(this AppFactory app, string email, string role)
    {
        var admin = app.Api();
        await admin.PostAsJsonAsync("/api/users", new { email, role });
        return (await (await admin.PostAsync($"/api/users/{email}/api-keys", null)).JsonOf()).GetProperty("key").GetString()!;
    }

    /// <summary>An API client with a user's own key.</summary>
    public static async Task<HttpClient> ApiAsAsync(this AppFactory app, string email, string role)
    {
        var client = app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = app.ClientOptions.BaseAddress });
        client.DefaultRequestHeaders.Add("X-Api-Key", await app.ApiKeyForAsync(email, role));
        return client;
    }
}
