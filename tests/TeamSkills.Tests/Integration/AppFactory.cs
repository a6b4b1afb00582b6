using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// The real app over HTTP (in-memory transport), on a real database of its own — a SQLite file in its own temp folder
/// by default, or a fresh database on the PostgreSQL server tests/run.sh started — with the clock fixed at
/// <see cref="Today"/> so statuses are deterministic.
/// </summary>
public sealed class AppFactory(DatabaseProvider provider = DatabaseProvider.Sqlite) : WebApplicationFactory<Program>
{
    public DatabaseProvider Provider { get; } = provider;
    private string? _serverDatabase;

    /// <summary>
    /// The suite runs hundreds of hosts, many at once. Each host's file watchers (static files' version hashes for
    /// asp-append-version, configuration) would take an inotify instance, and Linux allows 128 per user by default:
    /// past that, a page fails with 500 ("the configured user limit (128) on the number of inotify instances has been
    /// reached"). Polling watchers take none. tests/run.sh sets the same for the processes it starts.
    /// </summary>
    static AppFactory()
    {
        Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
    }

    /// <summary>The provider's connection string for this app's own database (created on first use).</summary>
    public string ConnectionString => Provider switch
    {
        DatabaseProvider.Sqlite => $"Data Source={DatabasePath}",
        DatabaseProvider.PostgreSql => TestDatabases.PostgreSqlConnection(_serverDatabase ??= TestDatabases.CreatePostgreSql()),
        _ => throw new NotSupportedException($"{Provider} cannot run on this machine; its migrations are checked for drift instead."),
    };

    public const string ApiKey = "test-bootstrap-key-0123456789";
    public static readonly DateOnly Today = new(2026, 6, 1);

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "teamskills-tests", Guid.NewGuid().ToString("N"));
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 6, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly Dictionary<string, string?> _settings = new();

    /// <summary>Extra test-only service changes, applied after the app's own.</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <summary>
    /// For tests holding a live connection opened with a sign-in cookie: the app's clock is faked at 2026-06-01, but
    /// SignalR checks a cookie's expiry against the real one, so a cookie stamped with the fake time would look long
    /// expired and the hub would close the connection at its next once-a-second check. Cookies then run on the real
    /// clock, as the app's do in production, where there is only one clock.
    /// </summary>
    public static void CookiesOnTheRealClock(IServiceCollection services) =>
        services.PostConfigure<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions>(
            Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationDefaults.AuthenticationScheme, o => o.TimeProvider = TimeProvider.System);

    public AppFactory With(string key, string value)
    {
        _settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("TeamSkills:DataDirectory", DataDirectory);
        if (Provider != DatabaseProvider.Sqlite)
        {
            builder.UseSetting("TeamSkills:Database:Provider", Provider.ToString());
            builder.UseSetting("ConnectionStrings:TeamSkills", ConnectionString);
        }
        builder.UseSetting("TeamSkills:Auth:BootstrapApiKey", ApiKey);
        // No Hangfire server unless a test asks for one: schedules run on the real clock, not the fake one.
        builder.UseSetting("TeamSkills:Jobs:RunServer", "false");
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            TestServices?.Invoke(services);
        });
    }

    /// <summary>
    /// Serve over real Kestrel on a free loopback port (for WebSockets and browsers) instead of the in-memory
    /// transport; call before the first client is created.
    /// </summary>
    public Uri UseRealServer()
    {
        var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        UseKestrel(port);
        ClientOptions.BaseAddress = new Uri($"http://127.0.0.1:{port}");
        StartServer();
        return ClientOptions.BaseAddress;
    }

    /// <summary>Waits until the live publisher has pushed every change published so far.</summary>
    public async Task LiveIdleAsync()
    {
        var publisher = Services.GetRequiredService<TeamSkills.Web.Features.Live.LivePublisher>();
        for (var i = 0; i < 500 && !publisher.IsIdle; i++) await Task.Delay(10);
        Assert.True(publisher.IsIdle, "the live publisher did not catch up within 5 s");
    }

    /// <summary>Waits until the forgot-password form's mails, sent in the background, have gone (or been skipped).</summary>
    public async Task ForgotPasswordMailsSentAsync()
    {
        var mails = Services.GetRequiredService<TeamSkills.Web.Features.Access.ForgotPasswordMails>();
        for (var i = 0; i < 1000 && !mails.IsIdle; i++) await Task.Delay(10);
        Assert.True(mails.IsIdle, "the forgot-password mails were not sent within 10 s");
    }

    public HttpClient Api()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = ClientOptions.BaseAddress });
        client.DefaultRequestHeaders.Add("X-Api-Key", ApiKey);
        return client;
    }

    public string DatabasePath => Path.Combine(DataDirectory, "teamskills.db");

    /// <summary>Reads the database directly, beside the app, on its own connection: what is really stored.</summary>
    public long Scalar(string sql)
    {
        using var conn = OpenConnection(readOnly: true);
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar() ?? 0L);
    }

    /// <summary>A connection of the test's own to the app's database (not from the app's pool).</summary>
    public System.Data.Common.DbConnection OpenConnection(bool readOnly = false)
    {
        System.Data.Common.DbConnection conn = Provider switch
        {
            DatabaseProvider.Sqlite => new SqliteConnection($"Data Source={DatabasePath};Mode={(readOnly ? "ReadOnly" : "ReadWrite")};Pooling=False"),
            DatabaseProvider.PostgreSql => new Npgsql.NpgsqlConnection(ConnectionString + ";Pooling=false"),
            _ => throw new NotSupportedException(Provider.ToString()),
        };
        conn.Open();
        return conn;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (_serverDatabase is not null) TestDatabases.DropPostgreSql(_serverDatabase);
        try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static async Task<HttpResponseMessage> Upload(this HttpClient client, string url, byte[] content, string fileName,
        string contentType = "text/csv")
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        form.Add(file, "file", fileName);
        return await client.PostAsync(url, form);
    }

    public static Task<HttpResponseMessage> UploadCsv(this HttpClient client, string url, string csv, string fileName = "roster.csv") =>
        client.Upload(url, Encoding.UTF8.GetBytes(csv), fileName);

    public static async Task<JsonElement> JsonOf(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<T> As<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json))!;
}
