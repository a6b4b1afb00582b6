namespace TeamSkills.Core.Imports;

public enum ImportKind { Roster = 0, Completions = 1 }

public enum ImportOutcome { Applied = 0, Unchanged = 1, Rejected = 2, DryRun = 3 }

public sealed class ImportRecord
{
    public long Id { get; set; }
    public ImportKind Kind { get; set; }
    public string Mode { get; set; } = "full";
    public bool DryRun { get; set; }
    public ImportOutcome Outcome { get; set; }
    public string FileName { get; set; } = "";
    public string ContentType { get; set; } = "";
    public long FileSize { get; set; }
    public string Format { get; set; } = "";
    public string ImportedBy { get; set; } = "";
    public DateTimeOffset ImportedAt { get; set; }
    public int Rows { get; set; }
    public int Created { get; set; }
    public int Updated { get; set; }
    public int Deactivated { get; set; }
    public int Unchanged { get; set; }
    public int ErrorCount { get; set; }
    /// <summary>The data version the import was validated against (set for previews made on the imports page).</summary>
    public long? DataVersion { get; set; }
    /// <summary>On a preview: the import that applied it. A preview is applied at most once.</summary>
    public long? AppliedImportId { get; set; }
    /// <summary>The first errors as JSON, for the history page; the full list went back in the response.</summary>
    public string ErrorsJson { get; set; } = "[]";
    /// <summary>Who the import creates, updates and deactivates (the first of each, for the preview and history pages), as JSON.</summary>
    public string ChangesJson { get; set; } = "{}";
    public ImportFile? File { get; set; }
}

/// <summary>
/// The original upload, kept apart so listing imports never loads file bodies. Stored gzip-compressed: CSV shrinks
/// about fourfold, which keeps the database small and the import's transaction short.
/// </summary>
public sealed class ImportFile
{
    public long ImportId { get; set; }
    public required byte[] Gzip { get; set; }

    public static ImportFile From(byte[] content)
    {
        using var output = new MemoryStream(content.Length / 3 + 64);
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return new ImportFile { Gzip = output.ToArray() };
    }

    public static byte[] Inflate(byte[] gzip)
    {
        using var input = new System.IO.Compression.GZipStream(new MemoryStream(gzip), System.IO.Compression.CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
