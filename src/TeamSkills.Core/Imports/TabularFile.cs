using System.Text;

namespace TeamSkills.Core.Imports;

/// <summary>One data row: the line in the file where it starts (header = line 1 for CSV; the sheet row for XLSX).</summary>
public readonly record struct TabularRow(int Line, string[] Cells);

public sealed record TabularTable(string Format, int HeaderLine, string[] Header, IReadOnlyList<TabularRow> Rows);

/// <summary>Why a file as a whole was refused; the HTTP status says which kind of refusal.</summary>
public sealed record FileProblem(int StatusCode, string Message, int Line = 0, string Column = "");

public sealed record TabularLimits
{
    /// <summary>Bytes actually inflated from an XLSX, all parts together (a zip bomb passes it quickly).</summary>
    public long MaxInflatedBytes { get; init; } = 256L * 1024 * 1024;
    public int MaxColumns { get; init; } = 256;
    public int MaxRows { get; init; } = 1_000_000;
}

/// <summary>Reads CSV or XLSX, chosen by content (never by file name), into rows of text cells.</summary>
public static class TabularFile
{
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] OleMagic = [0xD0, 0xCF, 0x11, 0xE0];
    private static readonly byte[] Utf16LeBom = [0xFF, 0xFE];
    private static readonly byte[] Utf16BeBom = [0xFE, 0xFF];

    public static (TabularTable? Table, FileProblem? Problem) Read(ReadOnlyMemory<byte> content, TabularLimits limits)
    {
        var span = content.Span;
        if (span.Length == 0) return (null, new FileProblem(422, "The file is empty."));
        if (span.StartsWith(ZipMagic)) return XlsxReader.Read(content, limits);
        if (span.StartsWith(OleMagic))
            return (null, new FileProblem(415, "This is a legacy .xls (or other OLE) file. Save it as .xlsx or CSV UTF-8 and upload again."));
        if (span.StartsWith(Utf16LeBom) || span.StartsWith(Utf16BeBom))
            return (null, new FileProblem(415, "The file is UTF-16 text (Excel's \"Unicode Text\"). Save it as \"CSV UTF-8\" and upload again."));
        if (LooksBinary(span))
            return (null, new FileProblem(415, "The file is neither CSV nor XLSX: its content is binary. Upload a CSV (UTF-8) or an .xlsx workbook."));

        if (!System.Text.Unicode.Utf8.IsValid(span))
        {
            // Find where: the strict decoder names the first bad byte.
            var offset = 0;
            try
            {
                new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetCharCount(span);
            }
            catch (DecoderFallbackException ex)
            {
                offset = Math.Max(ex.Index, 0);
            }
            var line = 1 + span[..Math.Min(offset, span.Length)].Count((byte)'\n');
            return (null, new FileProblem(422, $"The file is not valid UTF-8 (line {line}, byte {offset}). Save it as \"CSV UTF-8\" and upload again.", line));
        }
        return CsvReader.Read(span, limits);
    }

    /// <summary>NUL bytes or many control characters in the first 8 KB: not a text file.</summary>
    private static bool LooksBinary(ReadOnlySpan<byte> span)
    {
        var head = span[..Math.Min(span.Length, 8192)];
        var control = 0;
        foreach (var b in head)
        {
            if (b == 0) return true;
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r' and not 0x0C) control++;
        }
        return control > head.Length / 100 + 1;
    }

    internal static FileProblem? CheckShape(string[] header, int headerLine, int dataRows, TabularLimits limits)
    {
        if (header.Length > limits.MaxColumns)
            return new FileProblem(422, $"Line {headerLine} has {header.Length} columns; at most {limits.MaxColumns} are accepted.", headerLine);
        if (dataRows > limits.MaxRows)
            return new FileProblem(422, $"The file has more than {limits.MaxRows} rows.");
        return null;
    }
}
