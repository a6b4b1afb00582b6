using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Home;
using TeamSkills.Web.Features.Jobs;
using TeamSkills.Web.Features.Platform;

var builder = WebApplication.CreateBuilder(PlatformSetup.NormalizeArgs(args));
builder.AddTeamSkills();

var app = builder.Build();
await app.PrepareDatabaseAsync();
await app.PrepareAccessAsync();
await app.StartDemoAsync();
await app.ScheduleJobsAsync();
app.MapTeamSkills();
app.Run();

public partial class Program;
