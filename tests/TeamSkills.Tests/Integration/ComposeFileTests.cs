using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace TeamSkills.Tests.Integration;

/// <summary>
/// The deployment files, checked offline: no Docker engine runs here, so docker-compose.yml goes through Debian's
/// docker-compose 1.29 `config` (interpolation, anchors, schema), deploy/haproxy.cfg and the Dockerfile are read as
/// text. Without /usr/bin/docker-compose the compose tests skip with the reason; under CI=true they fail instead.
/// </summary>
public sealed class ComposeFileTests
{
    private const string DockerCompose = "/usr/bin/docker-compose";
    private static readonly string Root = RepoRoot();
    private static readonly string[] Services = ["app1", "app2", "proxy", "sqlserver", "redis", "smtp"];

    [SkippableFact]
    public async Task Config_WithPassword_DefinesAllServices_AndBothReplicasUseSqlServerAndRedis()
    {
        RequireDockerCompose();
        var password = "Ts1!" + Guid.NewGuid().ToString("N");
        var apiKey = "key-" + Guid.NewGuid().ToString("N");
        var run = await RunComposeAsync(new() { ["MSSQL_SA_PASSWORD"] = password, ["TEAMSKILLS_BOOTSTRAP_API_KEY"] = apiKey }, "config");
        Assert.True(run.ExitCode == 0, $"docker-compose config exited {run.ExitCode}: {run.Stderr}");

        var services = ServiceBlocks(run.Stdout);
        Assert.Equal(Services.Order(), services.Keys.Order());
        foreach (var app in new[] { "app1", "app2" })
        {
            var block = services[app];
            Assert.Contains("TeamSkills__Database__Provider: SqlServer", block);
            Assert.Contains("TeamSkills__Redis: redis:6379", block);
            Assert.Contains("TeamSkills__Smtp__Host: smtp", block);
            Assert.Contains("TeamSkills__Smtp__Tls: None", block);
            Assert.Contains("TeamSkills__DataDirectory: /data", block);
            // The secrets reach the app only from the environment.
            Assert.Contains($"Password={password};", block);
            Assert.Contains($"TeamSkills__Auth__BootstrapApiKey: {apiKey}", block);
        }
        // Only app1 migrates; app2 waits for it.
        Assert.Matches(@"TeamSkills__Database__MigrateOnStart: ['""]?true", services["app1"]);
        Assert.Matches(@"TeamSkills__Database__MigrateOnStart: ['""]?false", services["app2"]);
        Assert.Matches(@"depends_on:\s*\n\s+app1:\s*\n\s+condition: service_healthy", services["app2"]);
        Assert.Matches(@"(published: ['""]?8080['""]?|['""]?8080:8080)", services["proxy"]);
        Assert.Contains($"MSSQL_SA_PASSWORD: {password}", services["sqlserver"]);
    }

    [SkippableFact]
    public async Task Config_WithoutPassword_Fails_NamingMsSqlSaPassword()
    {
        RequireDockerCompose();
        var run = await RunComposeAsync(new(), "config", "-q");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("MSSQL_SA_PASSWORD", run.Stderr);
    }

    [Fact]
    public void ComposeFile_WritesNoPasswordOrKeyLiteral()
    {
        var compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));
        Assert.DoesNotMatch(@"Password=(?!\$\{)", compose);
        Assert.Matches(@"MSSQL_SA_PASSWORD: \$\{MSSQL_SA_PASSWORD:\?", compose);
        Assert.Matches(@"BootstrapApiKey: \$\{TEAMSKILLS_BOOTSTRAP_API_KEY:-\}", compose);
    }

    [Fact]
    public void HaProxy_IsStickyByCookie_AndChecksBothReplicas()
    {
        var cfg = File.ReadAllText(Path.Combine(Root, "deploy", "haproxy.cfg"));
        Assert.Matches(@"(?m)^\s*cookie TS_NODE insert indirect nocache httponly\s*$", cfg);
        Assert.Matches(@"(?m)^\s*server app1 app1:8080 .*cookie app1", cfg);
        Assert.Matches(@"(?m)^\s*server app2 app2:8080 .*cookie app2", cfg);
        Assert.Matches(@"(?m)^\s*http-check send meth GET uri /health\b", cfg);
        Assert.Matches(@"(?m)^\s*timeout tunnel 1h\s*$", cfg);
        Assert.Matches(@"(?m)^\s*bind :8080\s*$", cfg);
        // Requests are logged as method and path: no query string (%r, %HU, %HQ, httplog's default), where tokens travel.
        Assert.DoesNotMatch(@"(?m)^\s*option httplog", cfg);
        var format = Assert.Single(Regex.Matches(cfg, @"(?m)^\s*log-format (.*)$")).Groups[1].Value;
        Assert.Contains("%HP", format);
        Assert.DoesNotMatch(@"%(\{[^}]*\})?(r|HU|HQ)\b", format);
    }

    [Fact]
    public void Dockerfile_CopiesOnlyPathsThatExist_AndRunsAsNonRoot()
    {
        var instructions = Instructions(File.ReadAllText(Path.Combine(Root, "Dockerfile")));
        var ignore = File.ReadAllLines(Path.Combine(Root, ".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#') && !l.StartsWith('!')).ToList();

        var sources = new List<string>();
        foreach (var (keyword, args) in instructions.Where(i => i.Keyword is "COPY" or "ADD"))
        {
            var words = Words(args);
            if (words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal))) continue; // from another stage
            var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            Assert.True(paths.Count >= 2, $"{keyword} {args}: needs a source and a destination");
            sources.AddRange(paths.SkipLast(1));
        }
        Assert.NotEmpty(sources);
        foreach (var source in sources)
        {
            var path = Path.Combine(Root, source);
            Assert.True(File.Exists(path) || Directory.Exists(path), $"The Dockerfile copies '{source}', which is not in the repository.");
            var ignoredBy = ignore.FirstOrDefault(p => Ignores(p, source.TrimEnd('/')));
            Assert.True(ignoredBy is null, $"The Dockerfile copies '{source}', which .dockerignore excludes ({ignoredBy}).");
        }
        Assert.Contains(sources, s => s.EndsWith("TeamSkills.Web.csproj", StringComparison.Ordinal));

        var finalStage = instructions.Skip(instructions.FindLastIndex(i => i.Keyword == "FROM")).ToList();
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", finalStage[0].Args);
        var user = finalStage.LastOrDefault(i => i.Keyword == "USER").Args;
        Assert.False(string.IsNullOrWhiteSpace(user), "The final stage sets no USER: the app would run as root.");
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user);
    }

    private static void RequireDockerCompose()
    {
        if (File.Exists(DockerCompose)) return;
        if (Environment.GetEnvironmentVariable("CI") == "true")
            Assert.Fail($"{DockerCompose} is missing, and under CI=true the compose tests may not skip: install Debian's docker-compose (apt-get install docker-compose).");
        Skip.If(true, $"{DockerCompose} is missing: install Debian's docker-compose to check docker-compose.yml.");
    }

    private sealed record Run(int ExitCode, string Stdout, string Stderr);

    /// <summary>docker-compose with only the given interpolation variables: theirs removed from the environment and an empty --env-file, so a developer's .env changes nothing.</summary>
    private static async Task<Run> RunComposeAsync(Dictionary<string, string> variables, params string[] args)
    {
        var envFile = Path.GetTempFileName();
        try
        {
            var info = new ProcessStartInfo(DockerCompose)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = Root,
            };
            foreach (var a in new[] { "--env-file", envFile, "-f", Path.Combine(Root, "docker-compose.yml") }.Concat(args))
                info.ArgumentList.Add(a);
            foreach (var name in new[] { "MSSQL_SA_PASSWORD", "TEAMSKILLS_BOOTSTRAP_API_KEY", "TEAMSKILLS_PUBLIC_URL", "MSSQL_PID", "COMPOSE_FILE", "COMPOSE_PROJECT_NAME" })
                info.Environment.Remove(name);
            foreach (var (name, value) in variables)
                info.Environment[name] = value;

            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"docker-compose {string.Join(' ', args)} did not finish within 60 s.");
            }
            return new Run(process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    /// <summary>Each service's lines in `config` output (block YAML, two-space indent), by service name.</summary>
    private static Dictionary<string, string> ServiceBlocks(string yaml)
    {
        var blocks = new Dictionary<string, StringBuilder>();
        StringBuilder? current = null;
        var inServices = false;
        foreach (var line in yaml.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                inServices = line.TrimEnd() == "services:";
                current = null;
                continue;
            }
            if (!inServices) continue;
            var header = Regex.Match(line, @"^  ([A-Za-z0-9_.-]+):\s*$");
            if (header.Success)
                blocks[header.Groups[1].Value] = current = new StringBuilder();
            else
                current?.AppendLine(line);
        }
        return blocks.ToDictionary(b => b.Key, b => b.Value.ToString().Replace("\r\n", "\n"));
    }

    /// <summary>Dockerfile instructions with line continuations joined and comments dropped.</summary>
    private static List<(string Keyword, string Args)> Instructions(string dockerfile)
    {
        var result = new List<(string, string)>();
        var pending = new StringBuilder();
        foreach (var raw in dockerfile.Replace("\r\n", "\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#')) continue;
            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }
            pending.Append(line);
            var text = pending.ToString().Trim();
            pending.Clear();
            if (text.Length == 0) continue;
            var space = text.IndexOf(' ');
            result.Add(space < 0 ? (text.ToUpperInvariant(), "") : (text[..space].ToUpperInvariant(), text[(space + 1)..].Trim()));
        }
        return result;
    }

    private static List<string> Words(string args) =>
        args.StartsWith('[')
            ? System.Text.Json.JsonSerializer.Deserialize<List<string>>(args)!
            : args.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();

    /// <summary>Docker's .dockerignore rule, without exceptions (!): a pattern excludes a path when it matches the path or one of its parent folders.</summary>
    private static bool Ignores(string pattern, string path)
    {
        var regex = new Regex("^" + Regex.Escape(pattern.Trim('/'))
            .Replace(@"\*\*/", "(.*/)?").Replace(@"\*\*", ".*").Replace(@"\*", "[^/]*").Replace(@"\?", "[^/]") + "$");
        var parts = path.Split('/');
        return Enumerable.Range(1, parts.Length).Any(n => regex.IsMatch(string.Join('/', parts.Take(n))));
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TeamSkills.sln"))) return dir.FullName;
        throw new InvalidOperationException("TeamSkills.sln not found above " + AppContext.BaseDirectory);
    }
}
