using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Fluid;
using Microsoft.Extensions.Options;

namespace TeamSkills.Web.Features.Email;

public sealed class EmailOptions
{
    public const string Section = "TeamSkills:Email";

    /// <summary>Folder of NAME.subject.liquid / NAME.html.liquid / NAME.txt.liquid; relative to the content root.
    /// Empty: the reports/templates/email folder shipped beside the binaries.</summary>
    public string? TemplatesPath { get; set; }
}

public sealed record RenderedMail(string Subject, string Html, string Text);

/// <summary>A template that cannot be read or parsed; the message names the file (and Fluid's line:column).</summary>
public sealed class EmailTemplateException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Renders the Liquid email templates L&amp;D edit. In the HTML part every <c>{{ value }}</c> is HTML-encoded (names
/// come from imported files); text and subject are not, and the subject loses line breaks. Model members are
/// reached by their camelCase names (<c>{{ user.email }}</c>, <c>{% for t in teams %}</c>). Parsed templates are
/// cached and re-read when the file's last write time changes, so an edit shows on the next mail without a restart.
/// </summary>
public sealed partial class EmailTemplates(IOptions<EmailOptions> options, IWebHostEnvironment env, TimeProvider time)
{
    private static readonly FluidParser Parser = new();
    private readonly ConcurrentDictionary<string, (DateTime Written, IFluidTemplate Template)> _cache = new();

    private readonly TemplateOptions _templateOptions = WithConverters(new()
    {
        MemberAccessStrategy = new UnsafeMemberAccessStrategy { MemberNameStrategy = MemberNameStrategies.CamelCase },
        CultureInfo = CultureInfo.InvariantCulture,
        Now = time.GetUtcNow,
    });

    /// <summary>Dates print as ISO dates (2026-06-01) and enums in lower case, whatever the server's culture.</summary>
    private static TemplateOptions WithConverters(TemplateOptions o)
    {
        o.ValueConverters.Add(v => v switch
        {
            DateOnly d => new Fluid.Values.StringValue(d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            Enum e => new Fluid.Values.StringValue(e.ToString().ToLowerInvariant()),
            _ => null,
        });
        return o;
    }

    public string Folder { get; } = ResolveFolder(options.Value.TemplatesPath, env.ContentRootPath);

    public static string ResolveFolder(string? configured, string contentRoot) =>
        string.IsNullOrWhiteSpace(configured)
            ? Path.Combine(AppContext.BaseDirectory, "reports", "templates", "email")
            : Path.GetFullPath(Path.IsPathRooted(configured) ? configured : Path.Combine(contentRoot, configured));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]*$")]
    private static partial Regex Name();

    public async Task<RenderedMail> RenderAsync(string name, object model, CancellationToken ct)
    {
        if (!Name().IsMatch(name)) throw new ArgumentException($"'{name}' is not a template name (lowercase letters, digits, '-').", nameof(name));
        var subject = await RenderAsync(name, "subject", model, NullEncoder.Default, ct);
        var html = await RenderAsync(name, "html", model, HtmlEncoder.Default, ct);
        var text = await RenderAsync(name, "txt", model, NullEncoder.Default, ct);
        return new RenderedMail(subject.Replace("\r", "").Replace("\n", " ").Trim(), html, text);
    }

    private async Task<string> RenderAsync(string name, string part, object model, TextEncoder encoder, CancellationToken ct)
    {
        var template = await LoadAsync(Path.Combine(Folder, $"{name}.{part}.liquid"), ct);
        var context = new TemplateContext(model, _templateOptions);
        return await template.RenderAsync(context, encoder);
    }

    private async Task<IFluidTemplate> LoadAsync(string path, CancellationToken ct)
    {
        var file = new FileInfo(path);
        if (!file.Exists) throw new EmailTemplateException($"Email template {path} does not exist (TeamSkills:Email:TemplatesPath is {Folder}).");
        var written = file.LastWriteTimeUtc;
        if (_cache.TryGetValue(path, out var cached) && cached.Written == written) return cached.Template;
        var source = await File.ReadAllTextAsync(path, ct);
        if (!Parser.TryParse(source, out var template, out var error))
            throw new EmailTemplateException($"Email template {path} does not parse: {error}");
        _cache[path] = (written, template);
        return template;
    }
}
