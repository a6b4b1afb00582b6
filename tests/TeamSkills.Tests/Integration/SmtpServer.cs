using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using MimeKit;

namespace TeamSkills.Tests.Integration;

/// <summary>A message as the SMTP server received it: the envelope recipients and the parsed MIME message.</summary>
public sealed record CapturedMail(string MailFrom, IReadOnlyList<string> Recipients, MimeMessage Message);

/// <summary>
/// A real SMTP server for a test class: tests/smtp/capture.py (Debian's python3-aiosmtpd) on a free loopback port,
/// keeping every message as a file in its own temp folder. Stop() and Start() again on the same port for "the
/// relay is down, then back" tests. Without python3 + aiosmtpd the tests skip with the reason; under CI=true the
/// fixture fails instead.
/// </summary>
public sealed class SmtpServer : IAsyncLifetime
{
    private Process? _process;

    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "teamskills-smtp", Guid.NewGuid().ToString("N"));
    public int Port { get; } = FreePort();
    public string? Unavailable { get; private set; }
    private string _python = "python3";

    public async Task InitializeAsync()
    {
        Unavailable = FindPython();
        if (Unavailable is not null)
        {
            if (Environment.GetEnvironmentVariable("CI") == "true")
                throw new InvalidOperationException($"SMTP tests need a real server, and under CI=true they may not skip: {Unavailable}");
            return;
        }
        Directory.CreateDirectory(Folder);
        await StartAsync();
    }

    /// <summary>Skips the calling [SkippableFact] with the reason when no server could be started.</summary>
    public void SkipIfUnavailable() => Skip.If(Unavailable is not null, Unavailable);

    /// <param name="failAfter">Go down in the middle of a run: after this many accepted messages every further one
    /// gets 421 until the server is stopped and started again.</param>
    public async Task StartAsync(int? failAfter = null)
    {
        if (_process is { HasExited: false }) return;
        var script = Path.Combine(RepoRoot(), "tests", "smtp", "capture.py");
        var info = new ProcessStartInfo(_python)
        {
            RedirectStandardInput = true, // the script exits when this closes, so a crashed test run leaves no server
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { script, "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--dir", Folder })
            info.ArgumentList.Add(a);
        if (failAfter is { } n)
        {
            info.ArgumentList.Add("--fail-after");
            info.ArgumentList.Add(n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        _process = Process.Start(info)!;
        _process.BeginOutputReadLine();
        var errors = new System.Text.StringBuilder();
        _process.ErrorDataReceived += (_, e) => { lock (errors) errors.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"capture.py exited with {_process.ExitCode}: {errors}");
            if (await AcceptsAsync()) return;
            await Task.Delay(50);
        }
        throw new TimeoutException($"capture.py did not accept connections on port {Port} within 20 s: {errors}");
    }

    public void Stop()
    {
        if (_process is null) return;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Everything received so far, oldest first.</summary>
    public IReadOnlyList<CapturedMail> Messages()
    {
        if (!Directory.Exists(Folder)) return [];
        return Directory.GetFiles(Folder, "*.eml").Order(StringComparer.Ordinal).Select(eml =>
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".json")));
            var envelope = json.RootElement;
            return new CapturedMail(envelope.GetProperty("mailFrom").GetString() ?? "",
                envelope.GetProperty("rcptTos").EnumerateArray().Select(r => r.GetString() ?? "").ToList(),
                MimeMessage.Load(eml));
        }).ToList();
    }

    /// <summary>The messages whose envelope names <paramref name="recipient"/>.</summary>
    public IReadOnlyList<CapturedMail> MessagesTo(string recipient) =>
        Messages().Where(m => m.Recipients.Contains(recipient, StringComparer.OrdinalIgnoreCase)).ToList();

    public Task DisposeAsync()
    {
        Stop();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        return Task.CompletedTask;
    }

    private async Task<bool> AcceptsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException) { return false; }
    }

    /// <summary>Debian's python3-aiosmtpd lives in the system interpreter, which a pyenv shim on PATH may hide.</summary>
    private string? FindPython()
    {
        var tried = new List<string>();
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("TEAMSKILLS_PYTHON"), "/usr/bin/python3", "python3" })
        {
            if (string.IsNullOrEmpty(candidate)) continue;
            try
            {
                var info = new ProcessStartInfo(candidate) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
                info.ArgumentList.Add("-c");
                info.ArgumentList.Add("import aiosmtpd");
                using var p = Process.Start(info)!;
                p.WaitForExit(20_000);
                if (p.ExitCode == 0) { _python = candidate; return null; }
                tried.Add($"{candidate}: no aiosmtpd module");
            }
            catch (System.ComponentModel.Win32Exception) { tried.Add($"{candidate}: not found"); }
        }
        return $"no python3 with aiosmtpd (install Debian's python3-aiosmtpd; tests/run.sh does as root). Tried {string.Join("; ", tried)}.";
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TeamSkills.sln"))) return dir.FullName;
        throw new InvalidOperationException("TeamSkills.sln not found above " + AppContext.BaseDirectory);
    }
}
