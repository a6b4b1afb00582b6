using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Options;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// The Imports pages are for Admin and L&amp;D only, and their uploads obey the API's limits. Both are checked here,
/// before antiforgery validation (order 1000) reads the form: otherwise anyone signed in could make the server read
/// a body of any size under the framework's defaults before the handler's role check ran.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ImportsPageAccessAttribute : Attribute, IAsyncAuthorizationFilter, IOrderedFilter
{
    public int Order => 900;

    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        var http = context.HttpContext;
        if (!http.User.IsInRole(AppRoles.Admin) && !http.User.IsInRole(AppRoles.LearningAdmin))
        {
            context.Result = new ForbidResult();
            return;
        }
        if (!HttpMethods.IsPost(http.Request.Method) || !http.Request.HasFormContentType) return;

        var options = http.RequestServices.GetRequiredService<IOptions<ImportOptions>>().Value;
        if (await ImportUpload.ReadFormAsync(http, options, http.RequestAborted) is { } problem)
        {
            // The form could not be read, so neither can its antiforgery token: say why on the page instead of a bare 400.
            context.Result = new RedirectToPageResult("/Imports/Index", new { problem = problem.Code });
        }
    }
}
