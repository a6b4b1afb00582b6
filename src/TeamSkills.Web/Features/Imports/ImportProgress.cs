namespace TeamSkills.Web.Features.Imports;

/// <summary>One step of a running import, pushed live to the person who started it (SignalR message importProgress).</summary>
public sealed record ImportProgressUpdate(string Kind, string FileName, string Phase, int RowsDone, int RowsTotal, double Percent);

/// <summary>Where import handlers report progress; the live hub implements it, tests may record it.</summary>
public interface IImportProgress
{
    void Report(string actor, ImportProgressUpdate update);
}

internal sealed class NoImportProgress : IImportProgress
{
    public void Report(string actor, ImportProgressUpdate update) { }
}

/// <summary>
/// One import's reports. Phases: reading → validating (about every 5% of rows) → writing (only when changes are
/// applied) → done; "failed" when the import threw. Percent is of the whole import, not of the phase.
/// A sink that throws never fails the import: progress is a courtesy.
/// </summary>
internal sealed class ImportProgressReporter(IImportProgress sink, ILogger log, string actor, string kind, string fileName)
{
    private int RowsTotal { get; set; }

    /// <summary>Runs one import between its first report (reading) and its last (done, or failed if it threw).</summary>
    public static async Task<ImportOutcomeResult> TrackAsync(IImportProgress sink, ILogger log, ImportRequest req, string kind,
        Func<ImportProgressReporter, Task<ImportOutcomeResult>> import)
    {
        var progress = new ImportProgressReporter(sink, log, req.ImportedBy, kind, ImportSupport.SafeFileName(req.FileName));
        progress.Report("reading", 0, 0);
        try
        {
            var result = await import(progress);
            progress.Done(result.Response.Rows);
            return result;
        }
        catch
        {
            progress.Report("failed", 0, 100);
            throw;
        }
    }

    /// <summary>How many rows between two validating reports: the hot loop compares one counter per row.</summary>
    public int StartValidating(int rowsTotal)
    {
        RowsTotal = rowsTotal;
        Report("validating", 0, 10);
        return Math.Max(1, rowsTotal / 20);
    }

    public void Validating(int rowsDone) => Report("validating", rowsDone, 10 + 60.0 * rowsDone / Math.Max(1, RowsTotal));

    public void Writing() => Report("writing", RowsTotal, 75);

    private void Done(int rows)
    {
        RowsTotal = Math.Max(RowsTotal, rows);
        Report("done", RowsTotal, 100);
    }

    private void Report(string phase, int rowsDone, double percent)
    {
        try
        {
            sink.Report(actor, new ImportProgressUpdate(kind, fileName, phase, rowsDone, RowsTotal, Math.Round(percent, 1)));
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "Import progress report {Phase} could not be delivered", phase);
        }
    }
}
