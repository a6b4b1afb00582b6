using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Demo;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Home;

public static class HomeSetup
{
    public static WebApplicationBuilder AddPages(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(o => o.RootDirectory = "/Features");
        return builder;
    }

    public static WebApplication MapPages(this WebApplication app)
    {
        app.MapRazorPages();
        app.MapPost("/signout", async (HttpContext http, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http))
                return Results.Problem(statusCode: 400, title: "Invalid request", detail: "The form's antiforgery token is missing or invalid.");
            await SignedInSessions.SignOutEverywhereAsync(http);
            return Results.Redirect("/signin?done=signout");
        }).DisableAntiforgery().ExcludeFromDescription(); // antiforgery validated explicitly above: this endpoint binds no form
        return app;
    }

    /// <summary>
    /// Demo mode: load the demo organisation into an empty roster and print a one-time sign-in link, so a newcomer
    /// sees real numbers at once without any default password.
    /// </summary>
    public static async Task StartDemoAsync(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TeamSkillsOptions>>().Value;
        if (!options.Demo) return;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TeamSkills.Demo");
        await DemoOrganisation.LoadIfEmptyAsync(app.Services, log);
        var token = app.Services.GetRequiredService<OneTimeSignIn>().Issue();
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = app.Urls.FirstOrDefault() ?? "http://localhost:5080";
            Console.WriteLine();
            Console.WriteLine("  TeamSkills demo is running.");
            Console.WriteLine($"  Open this one-time sign-in link: {url.Replace("0.0.0.0", "localhost").Replace("[::]", "localhost")}/signin?token={token}");
            Console.WriteLine();
        });
    }
}
