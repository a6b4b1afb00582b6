using System.Net;
using System.Net.Http.Json;

namespace TeamSkills.Tests.Integration;

public sealed class UserAndKeyTests : IAsyncLifetime
{
    private readonly AppFactory _app = new();
    private HttpClient _admin = null!;

    public Task InitializeAsync()
    {
        _admin = _app.Api();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private HttpClient WithKey(string key)
    {
        var client = _app.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    [Fact]
    public async Task AdminCreatesUsersAndKeys_KeysCarryTheRole_RevokedOrDeletedStopAtOnce()
    {
        var created = await _admin.PostAsJsonAsync("/api/users", new { email = "Mia@Example.com", role = "Manager" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await _admin.PostAsJsonAsync("/api/users", new { email = "mia@example.com", role = "Manager" })).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await _admin.PostAsJsonAsync("/api/users", new { email = "x@example.com", role = "Wizard" })).StatusCode);
        Assert.Equal((HttpStatusCode)422, (await _admin.PostAsJsonAsync("/api/users", new { email = "not-an-email", role = "Engineer" })).StatusCode);

        var first = await (await _admin.PostAsync("/api/users/mia@example.com/api-keys", null)).JsonOf();
        var second = await (await _admin.PostAsync("/api/users/mia@example.com/api-keys", null)).JsonOf();
        var key1 = first.GetProperty("key").GetString()!;
        var key2 = second.GetProperty("key").GetString()!;
        Assert.StartsWith("tsk_", key1);

        var mia = WithKey(key1);
        Assert.Equal(HttpStatusCode.OK, (await mia.GetAsync("/api/catalog/roles")).StatusCode);
        // A Manager may not manage users or import: wrong role for the action → 403.
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.PostAsJsonAsync("/api/users", new { email = "y@example.com", role = "Admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mia.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);

        // The key is stored hashed: the list shows only its prefix.
        var users = await (await _admin.GetAsync("/api/users")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(key1, users);
        Assert.Contains(key1[..10], users);
        Assert.Equal(0, _app.Scalar($"SELECT COUNT(*) FROM api_keys WHERE hash = '{key1}'"));

        var id1 = first.GetProperty("id").GetInt64();
        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/users/mia@example.com/api-keys/{id1}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await mia.GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await WithKey(key2).GetAsync("/api/catalog/roles")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync("/api/users/mia@example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await WithKey(key2).GetAsync("/api/catalog/roles")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _admin.DeleteAsync("/api/users/mia@example.com")).StatusCode);

        var audit = await (await _admin.GetAsync("/api/audit?action=apikey")).JsonOf();
        Assert.Equal(3, audit.GetArrayLength()); // two created, one revoked
    }

    [Fact]
    public async Task NonAdminKeys_SeeNoTeamsUntilTheirScopeIsKnown()
    {
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        await _admin.PostAsJsonAsync("/api/users", new { email = "eve@example.com", role = "Engineer" });
        var key = (await (await _admin.PostAsync("/api/users/eve@example.com/api-keys", null)).JsonOf()).GetProperty("key").GetString()!;
        var eve = WithKey(key);
        Assert.Equal(0, (await (await eve.GetAsync("/api/teams")).JsonOf()).GetArrayLength());
        var teams = await (await _admin.GetAsync("/api/teams")).JsonOf();
        var anyTeam = teams[0].GetProperty("id").GetInt32();
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync($"/api/teams/{anyTeam}/gaps")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await eve.GetAsync("/api/engineers/E1")).StatusCode);
    }
}
