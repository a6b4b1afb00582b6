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
