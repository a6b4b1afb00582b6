using System.Text.Json;

namespace TeamSkills.Web.Features.Imports;

/// <summary>One problem with the file: line in the file (header = 1), column as named in its header, and why.</summary>
public sealed record ImportError(int Line, string Column, string Message);

public sealed record ImportResponse(
    long? ImportId, bool Applied, bool DryRun, string Mode, string Format, int Rows,
    int Created, int Updated, int Deactivated, int Unchanged, IReadOnlyList<ImportError> Errors, string Message);

/// <summary>What an import handler returns: the response and the HTTP status it maps to.</summary>
public sealed record ImportOutcomeResult(int StatusCode, ImportResponse Response);

public sealed record ImportRequest(
    ReadOnlyMemory<byte> Content, string FileName, string ContentType, string Mode, bool DryRun, string ImportedBy);

public sealed record ImportSummary(
    long Id, string Kind, string Mode, bool DryRun, string Outcome, string FileName, long FileSize, string Format,
    string ImportedBy, DateTimeOffset ImportedAt, int Rows, int Created, int Updated, int Deactivated, int Unchanged, int ErrorCount);

/// <summary>One engineer a roster import creates, updates or deactivates, as people read it: key, name, what changes.</summary>
public sealed record ImportChange(string Key, string Name, string Detail);

/// <summary>
/// Who an import changes, kept with its record (the first <see cref="Kept"/> of each list, by key) so the preview
/// and the history say who is created, updated and deactivated, not only how many.
/// </summary>
public sealed record ImportChanges(IReadOnlyList<ImportChange> Created, IReadOnlyList<ImportChange> Updated, IReadOnlyList<ImportChange> Deactivated)
{
    public const int Kept = 200;
    public static readonly ImportChanges None = new([], [], []);

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    /// <summary>Records made before changes were kept hold "" or "{}": no lists.</summary>
    public static ImportChanges FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json == "{}") return None;
        try
        {
            var parsed = JsonSerializer.Deserialize<ImportChanges>(json, JsonSerializerOptions.Web);
            return parsed is null ? None : new(parsed.Created ?? [], parsed.Updated ?? [], parsed.Deactivated ?? []);
        }
        catch (JsonException)
        {
            return None; // the page still shows the import, without the lists
        }
    }
}
