using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Catalog;
using TeamSkills.Web.Features.Completions;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Home;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

var builder = WebApplication.CreateBuilder(PlatformSetup.NormalizeArgs(args));
builder.AddPlatform();
builder.AddAccess();
builder.AddGaps();
builder.AddImports();
builder.AddPages();

var app = builder.Build();
await app.PrepareDatabaseAsync();
await app.StartDemoAsync();

app.UsePlatform();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapPlatform();
var api = app.MapGroup("/api").RequireAuthorization(AccessSetup.ApiPolicy);
api.MapImports();
api.MapCompletions();
api.MapCatalog();
api.MapGaps();
app.MapPages();

app.Run();

public partial class Program;
