using Microsoft.AspNetCore.Http.Features;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Imports;

/// <summary>Why an upload was refused before any import ran (nothing is recorded for these).</summary>
public sealed record UploadProblem(string Code, int StatusCode, string Title, string Detail);

/// <summary>
/// Reading an upload under the import limits, and running an import through the per-process gate: the one path the
/// API endpoints and the Imports page share.
/// </summary>
public static class ImportUpload
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Multipart framing and the other form fields get this much beyond the file itself.</summary>
    private const long FormOverhead = 64 * 1024;

    public static UploadProblem TooLarge(long limit) => new("too-large", 413, "File too large",
        $"Uploads are limited to {limit / (1024.0 * 1024):0.#} MB (TeamSkills:Imports:MaxUploadBytes). Nothing was imported.");

    public static UploadProblem? CheckMode(string mode) => mode is "full" or "partial"
        ? null
        : new("mode", 400, "Invalid mode", $"mode '{mode}' is not one of: full, partial.");

    /// <summary>
    /// Applies the size limits and reads the multipart form (once: later reads, antiforgery's included, get the
    /// cached form). Pages call it from a filter that runs before antiforgery, which would otherwise read the body
    /// under the framework's default limits.
    /// </summary>
    public static async Task<UploadProblem?> ReadFormAsync(HttpContext http, ImportOptions options, CancellationToken ct)
    {
        var limit = options.MaxUploadBytes;
        if (http.Request.ContentLength > limit + FormOverhead)
            return TooLarge(limit);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limit + FormOverhead;
        if (!http.Request.HasFormContentType)
            return new("not-multipart", 415, "Unsupported upload", "Send the file as multipart/form-data in the field 'file'.");
        try
        {
            await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = limit, ValueLengthLimit = 64 * 1024 }, ct);
        }
        catch (InvalidDataException)
        {
            return TooLarge(limit);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(limit);
        }
        return null;
    }

    /// <summary>The file in the form field 'file' as an import request, or why not.</summary>
    public static async Task<(ImportRequest? Request, UploadProblem? Problem)> ReadRequestAsync(HttpContext http, string mode, bool dryRun,
        string actor, ImportOptions options, CancellationToken ct)
    {
        mode = mode.Trim().ToLowerInvariant();
        if (CheckMode(mode) is { } bad) return (null, bad);
        if (await ReadFormAsync(http, options, ct) is { } problem) return (null, problem);

        var file = (await http.Request.ReadFormAsync(ct)).Files.GetFile("file");
        if (file is null)
            return (null, new("no-file", 400, "No file", "The multipart field 'file' is missing."));
        if (file.Length > options.MaxUploadBytes)
            return (null, TooLarge(options.MaxUploadBytes));

        var buffer = new byte[file.Length];
        await using (var stream = file.OpenReadStream())
        {
            await stream.ReadExactlyAsync(buffer, ct);
        }
        return (new ImportRequest(buffer, file.FileName, file.ContentType ?? "", mode, dryRun, actor), null);
    }

    /// <summary>One import at a time per instance: each diffs against the data the previous one left.</summary>
    public static async Task<T> RunGatedAsync<T>(Func<CancellationToken, Task<T>> import, CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        try
        {
            return await import(ct);
        }
        finally
        {
            Gate.Release();
        }
    }

    public static string ContentTypeOf(string format) => format switch
    {
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    };
}
