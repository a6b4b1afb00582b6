using System.Text.Json;

namespace TeamSkills.Web.Features.Imports;

/// <summary>One problem with the file: line in the file (header = 1), column as named in its header, and why.</summary>
public sealed record ImportError(int Line, string Column, string Message);

public sealed record ImportResponse(
    long? ImportId, bool Applied, bool DryRun, string Mode, string Format, int Rows,
    int Created, int Updated, int Deactivated, int Unchanged, IReadOnlyList<ImportError> Errors, string Message)
{
    /// <summary>Rows that import but look wrong (a placeholder date, an engineer managing themself): the first
    /// <see cref="ImportChanges.Kept"/>, by line. They never stop an import.</summary>
    public IReadOnlyList<ImportError> Warnings { get; init; } = [];

    /// <summary>How many warnings there were (<see cref="Warnings"/> keeps the first <see cref="ImportChanges.Kept"/> by line).</summary>
    public int WarningCount { get; init; }

    /// <summary>Roster imports without errors: the teams the import creates (or would), sorted, the first
    /// <see cref="RosterAdditions.Listed"/>. Null for completion imports.</summary>
    public IReadOnlyList<string>? NewTeams { get; init; }
    public int? NewTeamCount { get; init; }

    /// <summary>Roster imports without errors: the file's titles that map to no role and no engineer held before (each
    /// once, as the file first spells it), sorted, the first <see cref="RosterAdditions.Listed"/>. Null for completion imports.</summary>
    public IReadOnlyList<string>? NewUnmappedTitles { get; init; }
    public int? NewUnmappedTitleCount { get; init; }

    public ImportResponse With(RosterAdditions a) => this with
    {
        NewTeams = a.Teams, NewTeamCount = a.TeamCount, NewUnmappedTitles = a.UnmappedTitles, NewUnmappedTitleCount = a.UnmappedTitleCount,
    };
}

/// <summary>
/// What a roster import creates besides engineers: teams, and titles that map to no role and no engineer held before
/// (the catalog's unmapped titles grow by these). Names sorted; the first <see cref="Listed"/> of each, and how many.
/// </summary>
public sealed record RosterAdditions(IReadOnlyList<string> Teams, int TeamCount, IReadOnlyList<string> UnmappedTitles, int UnmappedTitleCount)
{
    public const int Listed = 50;

    public static RosterAdditions From(IReadOnlyCollection<string> teams, IReadOnlyCollection<string> unmappedTitles) =>
        new(First(teams), teams.Count, First(unmappedTitles), unmappedTitles.Count);

    private static List<string> First(IEnumerable<string> names) => names.Order(StringComparer.Ordinal).Take(Listed).ToList();
}

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

    /// <summary>The first <see cref="Kept"/> warnings, by line, and how many there were.</summary>
    public IReadOnlyList<ImportError> Warnings { get; init; } = [];
    public int WarningCount { get; init; }

    /// <summary>Roster imports: the teams and unmapped titles it creates (null for completions and older records).</summary>
    public RosterAdditions? Additions { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    /// <summary>Records made before changes were kept hold "" or "{}": no lists.</summary>
    public static ImportChanges FromJson(string? json)
    {
        if (string.IsNullOrWhiteSpace(json) || json == "{}") return None;
        try
        {
            var parsed = JsonSerializer.Deserialize<ImportChanges>(json, JsonSerializerOptions.Web);
            return parsed is null ? None : new(parsed.Created ?? [], parsed.Updated ?? [], parsed.Deactivated ?? [])
            {
                Warnings = parsed.Warnings ?? [], WarningCount = parsed.WarningCount,
                Additions = parsed.Additions is { } a ? a with { Teams = a.Teams ?? [], UnmappedTitles = a.UnmappedTitles ?? [] } : null,
            };
        }
        catch (JsonException)
        {
            return None; // the page still shows the import, without the lists
        }
    }
}

/// <summary>Collects an import's warnings, in any order: all are counted, and the <see cref="ImportChanges.Kept"/> on the
/// lowest lines are kept.</summary>
internal sealed class ImportWarnings
{
    private readonly List<ImportError> _all = [];
    private IReadOnlyList<ImportError>? _kept;
    public int Count => _all.Count;

    public void Add(int line, string column, string message)
    {
        _all.Add(new ImportError(line, column, message));
        _kept = null;
    }

    /// <summary>Sorted once however often it is read (the record and the answer both carry it).</summary>
    public IReadOnlyList<ImportError> Kept => _kept ??= _all.OrderBy(e => e.Line).Take(ImportChanges.Kept).ToList();
}
