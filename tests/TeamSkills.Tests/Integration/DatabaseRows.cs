using System.Reflection;
using TeamSkills.Core.Data;
using Xunit.Sdk;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// <c>[InlineData]</c> for a provider theory: the row once per provider <see cref="DatabaseDataAttribute"/> runs,
/// the provider first, then the row's values. Use with <c>[SkippableTheory]</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class DatabaseInlineDataAttribute(params object[] data) : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => DatabaseRows.Cross(testMethod, [data]);
}

/// <summary>Theory rows crossed with the providers <see cref="DatabaseDataAttribute"/> runs (for <c>[MemberData]</c>).</summary>
public static class DatabaseRows
{
    public static IEnumerable<object[]> Cross(MethodInfo testMethod, IEnumerable<object[]> rows)
    {
        var providers = new DatabaseDataAttribute().GetData(testMethod).Select(p => (DatabaseProvider)p[0]).ToList();
        foreach (var row in rows)
            foreach (var provider in providers)
                yield return [provider, .. row];
    }

    /// <summary>Every row of <paramref name="rows"/> once per provider, the provider first.</summary>
    public static IEnumerable<object[]> Cross(IEnumerable<object[]> rows) => Cross(null!, rows);
}

public static class AppStart
{
    /// <summary>
    /// Starts the host (on PostgreSQL that creates its database) and runs a test class's set-up; if either fails
    /// the app is disposed here, so a failed set-up leaves no server database behind.
    /// </summary>
    public static async Task<AppFactory> StartedAsync(this AppFactory app, Func<AppFactory, Task>? setUp = null)
    {
        try
        {
            _ = app.Api();
            if (setUp is not null) await setUp(app);
            return app;
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }
}
