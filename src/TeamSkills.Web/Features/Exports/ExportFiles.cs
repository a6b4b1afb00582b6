using System.Text;
using TeamSkills.Reports;
using TeamSkills.Reports.Excel;
using TeamSkills.Reports.Pdf;

namespace TeamSkills.Web.Features.Exports;

/// <summary>Renders a report into an HTTP result. API endpoints and the cookie-authenticated page handlers share it.</summary>
public static class ExportFiles
{
    public const string Xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    public const string Pdf = "application/pdf";

    /// <summary>
    /// A download name from a team name and date. Path separators, quotes, control characters and ".." cannot reach the
    /// header (the framework adds an RFC 5987 filename* for non-ASCII names).
    /// </summary>
    public static string FileName(string name, DateOnly asOf, string extension)
    {
        var clean = new StringBuilder();
        foreach (var ch in name.Normalize(NormalizationForm.FormC))
            clean.Append(char.IsControl(ch) || "/\\:*?\"<>|;%'`".Contains(ch) ? '-' : ch);
        var text = clean.ToString();
        while (text.Contains("..", StringComparison.Ordinal)) text = text.Replace("..", ".", StringComparison.Ordinal);
        text = string.Join('-', text.Split([' ', '-', '.'], StringSplitOptions.RemoveEmptyEntries));
        if (text.Length > 80) text = text[..80];
        if (text.Length == 0) text = "report";
        return $"teamskills-{text}-{asOf:yyyy-MM-dd}.{extension}";
    }

    public static IResult TeamXlsx(TeamReport report)
    {
        var ms = new MemoryStream();
        TeamWorkbook.Write(report, ms);
        ms.Position = 0;
        return Results.File(ms, Xlsx, FileName(report.TeamName, report.Header.AsOf, "xlsx"));
    }

    public static IResult TeamPdf(TeamReport report)
    {
        var ms = new MemoryStream();
        ReportPdfs.Team(report, ms);
        ms.Position = 0;
        return Results.File(ms, Pdf, FileName(report.TeamName, report.Header.AsOf, "pdf"));
    }

    public static IResult OrgPdf(OrgReport report)
    {
        var ms = new MemoryStream();
        ReportPdfs.Org(report, ms);
        ms.Position = 0;
        return Results.File(ms, Pdf, FileName("organisation", report.Header.AsOf, "pdf"));
    }

    /// <summary>
    /// The org workbook goes through a temporary file, written row by row and deleted once sent: a failure half-way
    /// becomes an error response instead of a truncated download.
    /// </summary>
    public static IResult OrgXlsx(OrgReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"org-{Guid.NewGuid():N}.xlsx.tmp");
        try
        {
            using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16);
            OrgWorkbook.Write(report, file);
        }
        catch
        {
            // A half-written file (a full disk, most likely) would keep holding the space it took.
            File.Delete(path);
            throw;
        }
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Delete, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        return Results.File(stream, Xlsx, FileName("organisation", report.Header.AsOf, "xlsx"));
    }
}

/// <summary>An <see cref="IResult"/> (what the API endpoints return) used from a page handler.</summary>
public sealed class ExportActionResult(IResult result) : Microsoft.AspNetCore.Mvc.IActionResult
{
    public Task ExecuteResultAsync(Microsoft.AspNetCore.Mvc.ActionContext context) => result.ExecuteAsync(context.HttpContext);
}
