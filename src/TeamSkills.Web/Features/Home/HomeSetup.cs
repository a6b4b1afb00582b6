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
        builder.Services.AddRazorPages(o => o.RootDirectory = "/Features")
            .AddMvcOptions(o => o.Filters.Add(new NoHandlerFilter()));
        return builder;
    }

    /// <summary>
    /// A POST no handler of the page answers (to a page that only shows) would otherwise render the page without running
    /// OnGet, on a model never filled: a 500. It gets 405 with Allow instead. (An unknown ?handler= on a GET falls back to
    /// OnGet in Razor Pages: the page as usual.)
    /// </summary>
    private sealed class NoHandlerFilter : Microsoft.AspNetCore.Mvc.Filters.IAsyncPageFilter
    {
        public Task OnPageHandlerSelectionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerSelectedContext context) => Task.CompletedTask;

        public Task OnPageHandlerExecutionAsync(Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutingContext context,
            Microsoft.AspNetCore.Mvc.Filters.PageHandlerExecutionDelegate next)
        {
            var handlers = context.ActionDescriptor.HandlerMethods;
            if (context.HandlerMethod is not null || handlers.Count == 0) return next();
            var method = context.HttpContext.Request.Method;
            var answersGet = handlers.Any(h => string.Equals(h.HttpMethod, "Get", StringComparison.OrdinalIgnoreCase));
            if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method)) return next(); // a page with only POST handlers
            context.HttpContext.Response.Headers.Allow = answersGet ? "GET, HEAD" : "";
            context.Result = new Microsoft.AspNetCore.Mvc.StatusCodeResult(StatusCodes.Status405MethodNotAllowed);
            return Task.CompletedTask;
        }
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
