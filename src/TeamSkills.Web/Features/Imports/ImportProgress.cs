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
