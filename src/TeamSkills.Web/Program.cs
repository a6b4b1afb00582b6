using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Home;
using TeamSkills.Web.Features.Jobs;
using TeamSkills.Web.Features.Platform;

// First, before the threads that would take arenas of their own start (see NativeHeap).
var arenas = NativeHeap.LimitArenas();
var builder = WebApplication.CreateBuilder(PlatformSetup.NormalizeArgs(args));
builder.AddTeamSkills();

var app = builder.Build();
app.Logger.LogInformation("glibc malloc arenas: {Arenas}", arenas ?? "the C library's default");
await app.PrepareDatabaseAsync();
await app.PrepareAccessAsync();
await app.StartDemoAsync();
await app.ScheduleJobsAsync();
app.MapTeamSkills();
app.Run();

public partial class Program;
