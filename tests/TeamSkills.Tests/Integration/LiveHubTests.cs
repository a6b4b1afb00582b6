using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TeamSkills.Tests.Integration;

/// <summary>The live hub over real WebSockets (Kestrel on a loopback port), with real SignalR clients.</summary>
public sealed class LiveHubTests : IAsyncLifetime
{
    private readonly CapturedLogs _logs = new();
    private readonly AppFactory _app;
    private HttpClient _admin = null!;

    public LiveHubTests()
    {
        _app = new AppFactory
            {
                TestServices = s =>
                {
                    s.AddSingleton<ILoggerProvider>(_logs);
                    AppFactory.CookiesOnTheRealClock(s); // a connection opened with a sign-in cookie stays open
                },
            }
            // Everything logged, so the access_token test sees what an operator turning logs up would see.
            .With("Logging:LogLevel:Default", "Trace").With("Logging:LogLevel:Microsoft.AspNetCore", "Trace")
            // A level for one provider outranks rules for all providers: the redaction must hold against it too.
            .With($"Logging:{typeof(CapturedLogs).FullName}:LogLevel:Default", "Trace");
    }

    public async Task InitializeAsync()
    {
        _app.UseRealServer();
        _admin = _app.Api();
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);
        await _app.LiveIdleAsync(); // the imports' own pushes are out before any test starts listening
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    private Uri Hub => new(_app.ClientOptions.BaseAddress, "/hubs/gaps");

    private sealed record Listener(HubConnection Connection, Channel<JsonElement> Summaries) : IAsyncDisposable
    {
        public async Task<JsonElement> NextAsync(TimeSpan? wait = null)
        {
            using var cts = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(10));
            return await Summaries.Reader.ReadAsync(cts.Token);
        }

        public ValueTask DisposeAsync() => Connection.DisposeAsync();
    }

    private async Task<Listener> ConnectAsync(string? headerKey = null, string? queryKey = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(queryKey is null ? Hub : new Uri(Hub + "?access_token=" + Uri.EscapeDataString(queryKey)), o =>
            {
                if (headerKey is not null) o.Headers["X-Api-Key"] = headerKey;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.SkipNegotiation = true;
            })
            .Build();
        var channel = Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("gapSummaryUpdated", m => channel.Writer.TryWrite(m));
        await connection.StartAsync();
        return new Listener(connection, channel);
    }

    private Task<string> KeyFor(string email, string role) => _app.ApiKeyForAsync(email, role);

    private async Task<JsonElement> TeamSummary(string name) =>
        (await (await _admin.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);

    private Task<HttpResponseMessage> Record(string employeeId, string certification) =>
        _admin.PostAsJsonAsync("/api/completions", new { employeeId, certification, earnedOn = "2026-05-20" });

    [Fact]
    public async Task CompletionRecorded_PushesTheTeamSummary_WithEveryContractField_EqualToTheApi()
    {
        await using var listener = await ConnectAsync(headerKey: AppFactory.ApiKey);
        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);

        var message = await listener.NextAsync();
        var api = await TeamSummary("Platform");
        Assert.Equal(api.GetProperty("id").GetInt32(), message.GetProperty("teamId").GetInt32());
        Assert.Equal("Platform", message.GetProperty("teamName").GetString());
        foreach (var field in new[] { "engineerCount", "recommendedCount", "heldCount", "gapCount", "expiringSoonCount", "expiredCount", "unmappedCount" })
            Assert.Equal(api.GetProperty(field).GetInt32(), message.GetProperty(field).GetInt32());
        Assert.Equal(api.GetProperty("coveragePercent").GetDouble(), message.GetProperty("coveragePercent").GetDouble());
        Assert.Equal("2026-06-01", message.GetProperty("asOf").GetString());
    }

    [Fact]
    public async Task Manager_HearsOnlyTheirTeams()
    {
        var mia = await KeyFor("mia@example.com", "Manager"); // manages Platform only
        await using var listener = await ConnectAsync(headerKey: mia);

        Assert.Equal(HttpStatusCode.Created, (await Record("E4", "aiops-professional")).StatusCode); // Data team: not Mia's
        Assert.Equal(HttpStatusCode.Created, (await Record("E1", "aiops-specialist")).StatusCode);   // Platform

        // Pushes keep their order on one connection: had Data's been sent to Mia, it would come first.
        var first = await listener.NextAsync();
        Assert.Equal("Platform", first.GetProperty("teamName").GetString());
        await _app.LiveIdleAsync();
        await Task.Delay(200);
        Assert.False(listener.Summaries.Reader.TryRead(out var extra), $"unexpected message {extra}");
    }

    [Fact]
    public async Task RosterImportMovingATeam_RescopesOpenConnections()
    {
        var max = await KeyFor("max@example.com", "Manager"); // manages Data
        await using var listener = await ConnectAsync(headerKey: max);
        // Platform now reports to Max.
        var moved = Data.Roster().Replace("Platform,mia@example.com", "Platform,max@example.com");
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", moved)).StatusCode);
        await _app.LiveIdleAsync();
        while (listener.Summaries.Reader.TryRead(out _)) { } // the import's own pushes, if any numbers moved

        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);
        // The import's own pushes (Data, his team all along) may still be on the wire; Platform must follow.
        string? team;
        do team = (await listener.NextAsync()).GetProperty("teamName").GetString();
        while (team == "Data");
        Assert.Equal("Platform", team);
    }

    [Fact]
    public async Task RosterImportMovingATeamAway_StopsPushesToTheOldManager_BeforeTheNewNumbersGoOut()
    {
        var mia = await KeyFor("mia@example.com", "Manager");
        await using var listener = await ConnectAsync(headerKey: mia);
        // Platform moves to Max and gains an engineer: its numbers change with the same import.
        var moved = Data.Roster("E6,Fay Fox,fay@example.com,Platform,max@example.com,Platform Engineer")
            .Replace("Platform,mia@example.com", "Platform,max@example.com");
        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", moved)).StatusCode);
        await _app.LiveIdleAsync();
        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);
        await _app.LiveIdleAsync();
        Assert.False(listener.Summaries.Reader.TryRead(out var leaked), $"Mia heard about a team no longer hers: {leaked}");
    }

    [Fact]
    public async Task RevokingAKey_ClosesTheLiveConnectionsOfItsUser()
    {
        var mia = await KeyFor("mia@example.com", "Manager");
        await using var listener = await ConnectAsync(headerKey: mia);
        var closed = new TaskCompletionSource();
        listener.Connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        var keys = await (await _admin.GetAsync("/api/users")).JsonOf();
        var keyId = keys.EnumerateArray().Single(u => u.GetProperty("email").GetString() == "mia@example.com")
            .GetProperty("apiKeys").EnumerateArray().Single().GetProperty("id").GetInt64();

        Assert.Equal(HttpStatusCode.NoContent, (await _admin.DeleteAsync($"/api/users/mia@example.com/api-keys/{keyId}")).StatusCode);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Disconnected, listener.Connection.State);
        // And it cannot come back with the revoked key.
        var again = new HubConnectionBuilder().WithUrl(Hub, o => o.Headers["X-Api-Key"] = mia).Build();
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => again.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task SigningOut_ClosesTheLiveConnectionsOpenedWithTheSignInCookie()
    {
        // The hub checks a cookie when a connection opens, not afterwards: sign-out must close what is open, or a copy
        // of the cookie taken before it would keep receiving pushes.
        await _app.Api().PostAsJsonAsync("/api/users", new { email = "mia@example.com", role = "Manager" });
        await _app.SetPasswordAsync("mia@example.com", TestUsers.Password);
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false })
            { BaseAddress = _app.ClientOptions.BaseAddress };
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = "mia@example.com", ["password"] = TestUsers.Password, ["returnUrl"] = "/",
            ["__RequestVerificationToken"] = TestUsers.Token(await browser.GetStringAsync("/signin")),
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var copy = new CookieContainer();
        copy.Add(cookies.GetCookies(_app.ClientOptions.BaseAddress!));

        var connection = new HubConnectionBuilder().WithUrl(Hub, o =>
        {
            o.Cookies = copy;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
            o.SkipNegotiation = true;
        }).Build();
        var channel = Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("gapSummaryUpdated", m => channel.Writer.TryWrite(m));
        var closed = new TaskCompletionSource();
        connection.Closed += _ => { closed.TrySetResult(); return Task.CompletedTask; };
        await connection.StartAsync();
        await using var listener = new Listener(connection, channel);
        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);
        Assert.Equal("Platform", (await listener.NextAsync()).GetProperty("teamName").GetString()); // Mia's team, live

        var signOut = await browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = TestUsers.Token(await browser.GetStringAsync("/")),
        }));
        Assert.Equal("/signin?done=signout", signOut.Headers.Location?.ToString());
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HubConnectionState.Disconnected, connection.State);
        // And the copied cookie cannot open another.
        var again = new HubConnectionBuilder().WithUrl(Hub, o => o.Cookies = copy).Build();
        await Assert.ThrowsAnyAsync<Exception>(() => again.StartAsync());
    }

    [Theory]
    [InlineData(Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets)]
    [InlineData(Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling)]
    public async Task APageOnAnotherHost_CannotOpenALiveConnection_ThisSitesPagesCan(Microsoft.AspNetCore.Http.Connections.HttpTransportType transport)
    {
        var key = await KeyFor("lnd@example.com", "LearningAdmin");
        HubConnection From(string origin) => new HubConnectionBuilder().WithUrl(Hub, o =>
        {
            o.Headers["X-Api-Key"] = key;
            o.Headers["Origin"] = origin;
            o.Transports = transport;
        }).Build();
        await using var sibling = From("https://evil.skills.example.org");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => sibling.StartAsync());
        Assert.Contains("403", refused.ToString());
        await using var own = From(_app.ClientOptions.BaseAddress!.GetLeftPart(UriPartial.Authority));
        await own.StartAsync();
        Assert.Equal(HubConnectionState.Connected, own.State);
    }

    [Fact]
    public async Task Midnight_PushesTheNewDaysSummaries_WithoutAnyWrite()
    {
        await using var listener = await ConnectAsync(headerKey: AppFactory.ApiKey);
        _app.Clock.Advance(TimeSpan.FromDays(1)); // 2026-06-02 09:00
        var message = await listener.NextAsync();
        Assert.Equal("2026-06-02", message.GetProperty("asOf").GetString());
        var team = message.GetProperty("teamName").GetString()!;
        var api = (await (await _admin.GetAsync("/api/teams")).JsonOf()).EnumerateArray().Single(t => t.GetProperty("name").GetString() == team);
        Assert.Equal(api.GetProperty("expiredCount").GetInt32(), message.GetProperty("expiredCount").GetInt32());
    }

    [Fact]
    public async Task Engineer_HearsNoTeamSummaries()
    {
        var ann = await KeyFor("ann@example.com", "Engineer");
        await using var listener = await ConnectAsync(headerKey: ann);
        Assert.Equal(HttpStatusCode.Created, (await Record("E1", "aiops-specialist")).StatusCode);
        await _app.LiveIdleAsync(); // the push has been handed to every connection it was meant for
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => listener.NextAsync(TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public async Task AccessTokenQuery_Authenticates_AndNeverReachesTheLogs()
    {
        await using var listener = await ConnectAsync(queryKey: AppFactory.ApiKey);
        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);
        Assert.Equal("Platform", (await listener.NextAsync()).GetProperty("teamName").GetString());
        Assert.NotEmpty(_logs.Lines);
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(AppFactory.ApiKey, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets)]
    [InlineData(Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling)]
    public async Task TheClientsStandardAccessTokenOption_Authenticates(Microsoft.AspNetCore.Http.Connections.HttpTransportType transport)
    {
        // AccessTokenProvider: this .NET client sends "Authorization: Bearer <key>" on negotiate and on every transport's
        // requests (browsers' WebSocket API cannot, and send access_token instead, tested above). A Bearer value that is not
        // a user key (tsk_…) is left alone: no identity, so 401 from the hub's policy. That includes the bootstrap key,
        // which would otherwise be checked there without a wrong-key budget.
        var key = await KeyFor("lnd@example.com", "LearningAdmin");
        var connection = new HubConnectionBuilder()
            .WithUrl(Hub, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                o.Transports = transport;
            })
            .Build();
        var channel = Channel.CreateUnbounded<JsonElement>();
        connection.On<JsonElement>("gapSummaryUpdated", m => channel.Writer.TryWrite(m));
        await connection.StartAsync();
        await using var listener = new Listener(connection, channel);
        Assert.Equal(HttpStatusCode.Created, (await Record("E2", "aiops-architect")).StatusCode);
        Assert.Equal("Platform", (await listener.NextAsync()).GetProperty("teamName").GetString());
        Assert.DoesNotContain(_logs.Lines, l => l.Contains(key, StringComparison.Ordinal));

        foreach (var notAUserKey in new[] { "nope", AppFactory.ApiKey })
        {
            var wrong = new HubConnectionBuilder().WithUrl(Hub, o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(notAUserKey);
                o.Transports = transport;
            }).Build();
            var ex = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.StartAsync());
            Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        }
    }

    [Fact]
    public async Task NoOrBadKey_IsRefused()
    {
        var anonymous = new HubConnectionBuilder().WithUrl(Hub).Build();
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);

        var wrong = new HubConnectionBuilder().WithUrl(new Uri(Hub + "?access_token=nope")).Build();
        ex = await Assert.ThrowsAsync<HttpRequestException>(() => wrong.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task ImportProgress_ReachesTheImportingUserOnly_EndingWithDone()
    {
        await using var importer = await ConnectAsync(headerKey: AppFactory.ApiKey);
        var ann = await KeyFor("ann@example.com", "LearningAdmin");
        await using var bystander = await ConnectAsync(headerKey: ann);
        var phases = Channel.CreateUnbounded<JsonElement>();
        var seenByBystander = 0;
        importer.Connection.On<JsonElement>("importProgress", p => phases.Writer.TryWrite(p));
        bystander.Connection.On<JsonElement>("importProgress", _ => Interlocked.Increment(ref seenByBystander));

        Assert.Equal(HttpStatusCode.OK, (await _admin.UploadCsv("/api/imports/roster", Data.Roster("E9,Zed Zane,zed@example.com,Data,max@example.com,Data Engineer"))).StatusCode);

        var seen = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!seen.Contains("done"))
        {
            var p = await phases.Reader.ReadAsync(cts.Token);
            Assert.Equal("roster", p.GetProperty("kind").GetString());
            seen.Add(p.GetProperty("phase").GetString()!);
        }
        Assert.Equal("reading", seen[0]);
        Assert.Contains("writing", seen);
        Assert.Equal(0, Volatile.Read(ref seenByBystander));
    }

    [Fact]
    public async Task GetSummaries_ReturnsOnlyTheCallersTeams()
    {
        var mia = await KeyFor("mia@example.com", "Manager");
        await using var listener = await ConnectAsync(headerKey: mia);
        var summaries = await listener.Connection.InvokeAsync<JsonElement>("GetSummaries");
        Assert.Equal(new[] { "Platform" }, summaries.EnumerateArray().Select(s => s.GetProperty("teamName").GetString()!).ToArray());
    }
}

/// <summary>Every log line the app writes, at every level.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose() { }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
    }
}
