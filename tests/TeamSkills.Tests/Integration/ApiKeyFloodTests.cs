using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// 10,000 requests with random wrong API keys, 200 in flight at a time, from one address against the app on real
/// Kestrel: reads, an import that would deactivate everyone, and a new admin user. Every one is refused, past the
/// address's budget of wrong keys without a lookup; the server stays up, other addresses are served, nothing
/// changes, and what the app records about them stays small.
/// </summary>
public sealed class ApiKeyFloodTests
{
    private const int Requests = 10_000;
    private const int InFlight = 200;

    [Fact]
    public async Task TenThousandBadKeys_AllGet401_NothingChanges_AndTheServerStaysHealthy()
    {
        var logs = new LogRecorder();
        await using var app = new AppFactory { TestServices = s => s.AddSingleton<ILoggerProvider>(logs) };
        var address = app.UseRealServer();
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);
        var before = await DataFingerprint.OfAsync(app, api);
        var audit = app.Scalar("SELECT COUNT(*) FROM audit_entries");
        var users = app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\"");
        var imports = app.Scalar("SELECT COUNT(*) FROM imports");
        var logged = logs.Count;

        // The flood comes from 127.0.0.3; the test's own client (127.0.0.1) checks afterwards that it is still served.
        using var client = From(Flooder, address, InFlight);
        var statuses = new ConcurrentDictionary<(bool Repeated, int Status), int>();
        var wipe = Encoding.UTF8.GetBytes(Data.Lines(Data.RosterHeader, "X1,Mallory,mallory@example.com,Owned,,SRE"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = InFlight }, async (i, ct) =>
        {
            using var request = (i % 4) switch
            {
                0 => new HttpRequestMessage(HttpMethod.Get, "/api/teams"),
                1 => new HttpRequestMessage(HttpMethod.Get, "/api/audit"),
                2 => new HttpRequestMessage(HttpMethod.Post, "/api/imports/roster") { Content = Form(wipe) },
                _ => new HttpRequestMessage(HttpMethod.Post, "/api/users")
                {
                    Content = new StringContent("{\"email\":\"mallory@example.com\",\"role\":\"Admin\"}", Encoding.UTF8, "application/json"),
                },
            };
            var (key, repeated) = BadKey(i);
            request.Headers.TryAddWithoutValidation("X-Api-Key", key);
            using var response = await client.SendAsync(request, ct);
            statuses.AddOrUpdate((repeated, (int)response.StatusCode), 1, (_, n) => n + 1);
        });
        watch.Stop();

        // The address may send 100 wrong keys a minute (TeamSkills:RateLimits:InvalidApiKeysPerMinute): those are looked
        // up and answered 401; every later request from it, whatever its key, gets 429 unchecked. A new random key each
        // time buys nothing. Nothing else: no 5xx, nothing accepted.
        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{(s.Key.Repeated ? "repeated" : "distinct")} {s.Key.Status}: {s.Value}"));
        var because = $"after {watch.Elapsed.TotalSeconds:0.0} s: {summary}";
        Assert.True(statuses.Keys.All(k => k.Status is 401 or 429), because);
        var windows = (int)Math.Ceiling(watch.Elapsed.TotalMinutes) + 1;
        var checkedKeys = statuses.Where(s => s.Key.Status == 401).Sum(s => s.Value);
        Assert.True(checkedKeys is >= 100 && checkedKeys <= 100 * windows + InFlight, because); // + those already past the check when the budget ran out
        Assert.Equal(Requests * 4 / 5, statuses.GetValueOrDefault((false, 401)) + statuses.GetValueOrDefault((false, 429)));
        Assert.Equal(Requests / 5, statuses.GetValueOrDefault((true, 401)) + statuses.GetValueOrDefault((true, 429)));

        // The flooding address: even the right key is refused until the minute is over, and says when to come back.
        using var right = From(Flooder, address, 1);
        right.DefaultRequestHeaders.Add("X-Api-Key", AppFactory.ApiKey);
        using var refused = await right.GetAsync("/api/teams");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta is { TotalSeconds: > 0 and <= 60 }, $"Retry-After: {refused.Headers.RetryAfter}");
        Assert.Contains("wrong API keys from your address", await refused.Content.ReadAsStringAsync());

        // Every other address is served as before (the checks below go through the test's own client on 127.0.0.1).
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        Assert.Equal(before, await DataFingerprint.OfAsync(app, api));
        Assert.Equal(users, app.Scalar("SELECT COUNT(*) FROM \"AspNetUsers\""));
        Assert.Equal(imports, app.Scalar("SELECT COUNT(*) FROM imports"));
        // Failed key checks are not audited row by row (the audit table would grow with an attacker's traffic) ...
        Assert.Equal(audit, app.Scalar("SELECT COUNT(*) FROM audit_entries"));
        // ... and they are logged as a bounded summary, not one line (or two) per request.
        var lines = logs.Entries.Skip(logged).ToList();
        var shown = string.Join("\n", lines.GroupBy(l => $"{l.Level} {l.Category}: {l.Message}").OrderByDescending(g => g.Count()).Take(5)
            .Select(g => $"{g.Count()} x {g.Key}"));
        Assert.True(lines.Count < 50, $"{lines.Count} log entries for {Requests} refused requests:\n{shown}");
        Assert.DoesNotContain(lines, l => l.Level >= LogLevel.Error);
        Assert.Contains(lines, l => l.Level == LogLevel.Warning && l.Message.Contains("Invalid API key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ABearerTokenThatIsNotOurs_OnTheHub_SpendsNoWrongKeyBudget()
    {
        // Behind a proxy or an identity provider, hub requests may carry someone else's Bearer token: it is left alone
        // (401 from the hub's policy), and never counts as a wrong key against the address.
        await using var app = new AppFactory().With("TeamSkills:RateLimits:InvalidApiKeysPerMinute", "2");
        var address = app.UseRealServer();
        using var client = From(IPAddress.Parse("127.0.0.4"), address, 1);
        for (var i = 0; i < 4; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/gaps/negotiate?negotiateVersion=1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJIUzI1NiJ9.proxy-session." + i);
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        // Nor is the bootstrap key taken from there: compared without a budget, it could be guessed for free.
        using (var bootstrap = new HttpRequestMessage(HttpMethod.Post, "/hubs/gaps/negotiate?negotiateVersion=1"))
        {
            bootstrap.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AppFactory.ApiKey);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(bootstrap)).StatusCode);
        }
        client.DefaultRequestHeaders.Add("X-Api-Key", AppFactory.ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/teams")).StatusCode);

        // A Bearer value shaped like a user key is checked, and a wrong one spends the budget like X-Api-Key does.
        using var other = From(IPAddress.Parse("127.0.0.5"), address, 1);
        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/gaps/negotiate?negotiateVersion=1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "tsk_wrong" + i);
            using var response = await other.SendAsync(request);
            Assert.Equal(i < 2 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, response.StatusCode);
        }
    }

    private static readonly IPAddress Flooder = IPAddress.Parse("127.0.0.3");

    /// <summary>A client whose connections leave from <paramref name="local"/> (any 127.x address is loopback on Linux).</summary>
    internal static HttpClient From(IPAddress local, Uri server, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectCallback = async (context, ct) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        return new HttpClient(handler, disposeHandler: true) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
    }

    private static MultipartFormDataContent Form(byte[] csv)
    {
        var file = new ByteArrayContent(csv);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse("text/csv");
        return new MultipartFormDataContent { { file, "file", "roster.csv" } };
    }

    /// <summary>
    /// Wrong keys of every shape: user-key-like (looked up in the database), random text, near misses of the real
    /// key, long ones (up to 4,000 characters), and one wrong key sent over and over.
    /// </summary>
    private static (string Key, bool Repeated) BadKey(int i)
    {
        var random = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        return (i % 5) switch
        {
            0 => ("tsk_" + random, false),
            1 => (random, false),
            2 => (AppFactory.ApiKey[..^1] + random, false),
            3 => (random + new string('k', i % 4000), false),
            _ => ("the-same-wrong-key", true),
        };
    }
}
