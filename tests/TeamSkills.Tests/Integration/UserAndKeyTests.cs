using System.Net;
using System.Net.Http.Json;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class UserAndKeyTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync();

    private static HttpClient WithKey(AppFactory app, string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    [SkippableTheory, DatabaseData]
    public async Task AdminCreatesUsersAndKeys_KeysCarryTheRole_RevokedOrDeletedStopAtOnce(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = app.Api();
        var created = await admin.PostAsJsonAsync("/api/users", new { email = "Mia@Example.com", role = "Manager" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/users", new { email = "mia@example.com", role = "Manager" })).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await admin.PostAsJsonAsync("/api/users", new { email = "x@example.com", role = "Wizard" })).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await admin.PostAsJsonAsync("/api/users", new { email = "not-an-email", role = "Engineer" })).StatusCode);

        var first = await (await admin.PostAsync("/api/users/mia@example.com/api-keys", null)).JsonOf();
        var second = await (await admin.PostAsync("/api/users/mia@example.com/api-keys", null)).JsonOf();
        var key1 = first.GetProperty("key").GetString()!;
        var key2 = second.GetProperty("key").GetString()!;
        Assert.StartsWith("tsk_", key1);

        var mia = WithKey(app, key1);
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync("/api/catalog/roles")).StatusCode);
        // A Manager may not manage users or import: wrong role for the action → 403.
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.PostAsJsonAsync("/api/users", new { email = "y@example.com", role = "Admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);

        // The key is stored hashed: the list shows only its prefix.
        var users = await (await admin.GetAsync("/api/users")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(key1, users);
        Assert.Contains(key1[..10], users);
        Assert.Equal(0, app.Scalar($"SELECT COUNT(*) FROM api_keys WHERE hash = '{key1}'"));

        var id1 = first.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/mia@example.com/api-keys/{id1}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await mia.GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await WithKey(app, key2).GetAsync("/api/catalog/roles")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/api/users/mia@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKey(app, key2).GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.DeleteAsync("/api/users/mia@example.com")).StatusCode);

        var audit = await (await admin.GetAsync("/api/audit?action=apikey")).JsonOf();
        Assert.Equal(3, audit.GetArrayLength()); // two created, one revoked
    }

    [SkippableTheory, DatabaseData]
    public async Task CreatingAUser_WithAnEmailLongerThanTheUserTableKeeps_Returns422_OnEveryProvider(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = app.Api();
        var longest = new string('a', 256 - "@example.com".Length) + "@example.com";
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/users", new { email = longest, role = "Manager" })).StatusCode);
        var tooLong = "b" + longest;
        var refused = await admin.PostAsJsonAsync("/api/users", new { email = tooLong, role = "Manager" });
        Assert.Equal((HttpStatusCode)422, refused.StatusCode);
        Assert.Contains("longer than 256", await refused.Content.ReadAsStringAsync());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
    }

    [SkippableTheory, DatabaseData]
    public async Task NonAdminKeys_SeeNoTeamsUntilTheirScopeIsKnown(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var admin = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await admin.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        await admin.PostAsJsonAsync("/api/users", new { email = "eve@example.com", role = "Engineer" });
        var key = (await (await admin.PostAsync("/api/users/eve@example.com/api-keys", null)).JsonOf()).GetProperty("key").GetString()!;
        var eve = WithKey(app, key);
        Assert.Equal(0, (await (await eve.GetAsync("/api/teams")).JsonOf()).GetArrayLength());
        var teams = await (await admin.GetAsync("/api/teams")).JsonOf();
        var anyTeam = teams[0].GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/teams/{anyTeam}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync("/api/engineers/E1")).StatusCode);
    }
}
