using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace TeamSkills.Reports.Pdf;

/// <summary>
/// SkiaSharp's native build has no font subsetter, so its PDF backend embeds each TrueType font whole (tagged as a
/// subset all the same): about 210 kB per font compressed, 440 kB for a one-page report, 2 MB for a digest's five
/// attachments. This rewrites each embedded FontFile2 after the fact to keep only the glyphs the document draws.
/// <para>Glyph ids do not change (unused glyphs become empty), so nothing else in the PDF does: the fonts are
/// CIDFontType2 with CIDToGIDMap /Identity, their widths (/W) and ToUnicode maps stay right. Tables a viewer never
/// reads for such a font go: layout (GPOS, GSUB, GDEF, kern) and glyph names (post becomes format 3).</para>
/// <para>The glyphs kept are every glyph id in a text-showing operator of any content stream, for all fonts at once (a
/// glyph kept that a font does not use costs a few bytes). Only what Skia wrote is read: content streams (where text
/// is glyph ids, four hex digits each, so at most 65,536 of them) and the FontDescriptor dictionaries that name the
/// font files; never the document information (a title is a team name, which anyone can choose). Anything
/// unexpected in the PDF or a font: the PDF is returned as it was.</para>
/// </summary>
public static partial class PdfFontSubset
{
    public static byte[] Shrink(byte[] pdf)
    {
        try
        {
            return TryShrink(pdf) ?? pdf;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or InvalidDataException or OverflowException)
        {
            return pdf;
        }
    }

    private static byte[]? TryShrink(byte[] pdf)
    {
        var text = Encoding.Latin1.GetString(pdf); // one char per byte: indexes are byte offsets
        var xref = ReadXref(text);
        if (xref is null) return null;
        var (xrefStart, offsets, trailer) = xref.Value;

        // Each object runs to the next one (or the xref): no searching for "endobj", which a title may contain.
        var order = Enumerable.Range(1, offsets.Length - 1).Where(n => offsets[n] > 0).OrderBy(n => offsets[n]).ToList();
        if (order.Count == 0) return null;
        var objects = new Dictionary<int, PdfObject>();
        for (var i = 0; i < order.Count; i++)
        {
            var n = order[i];
            objects[n] = ReadObject(pdf, text, n, offsets[n], i + 1 < order.Count ? offsets[order[i + 1]] : xrefStart);
        }
        var fontFiles = new HashSet<int>();
        foreach (var o in objects.Values)
        {
            if (o.Stream is not null || !FontDescriptor().IsMatch(o.Dictionary)) continue;
            var m = FontFile2Reference().Match(o.Dictionary);
            if (m.Success) fontFiles.Add(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        if (fontFiles.Count == 0) return null;

        var used = new HashSet<int> { 0 };
        foreach (var (n, o) in objects)
        {
            if (fontFiles.Contains(n) || o.Stream is null || o.Dictionary.Contains("/Subtype /Image", StringComparison.Ordinal)) continue;
            var content = o.Dictionary.Contains("/FlateDecode", StringComparison.Ordinal) ? Inflate(o.Stream) : o.Stream;
            if (content is null) continue;
            var s = Encoding.Latin1.GetString(content);
            if (!s.Contains("begincmap", StringComparison.Ordinal)) AddShownGlyphs(s, used);
        }

        var replaced = new SortedDictionary<int, byte[]>();
        foreach (var n in fontFiles)
        {
            if (!objects.TryGetValue(n, out var o) || o.Stream is null || !o.Dictionary.Contains("/FlateDecode", StringComparison.Ordinal)) return null;
            var font = Inflate(o.Stream);
            if (font is null) return null;
            var subset = TrueTypeSubset.Keep(font, used);
            var packed = Deflate(subset);
            var head = Encoding.ASCII.GetBytes($"{n} 0 obj\n<</Length1 {subset.Length}\n/Filter /FlateDecode\n/Length {packed.Length}>> stream\n");
            replaced[n] = [.. head, .. packed, .. "\nendstream\nendobj\n"u8];
        }

        // Rebuild: every object in file order, the replaced ones swapped, then a fresh xref table and the old trailer.
        using var output = new MemoryStream(pdf.Length);
        output.Write(pdf, 0, offsets[order[0]]);
        var newOffsets = new long[offsets.Length];
        foreach (var n in order)
        {
            newOffsets[n] = output.Position;
            if (replaced.TryGetValue(n, out var bytes)) output.Write(bytes);
            else output.Write(pdf, offsets[n], objects[n].End - offsets[n]);
        }
        var newXref = output.Position;
        var table = new StringBuilder($"xref\n0 {offsets.Length}\n0000000000 65535 f \n");
        for (var n = 1; n < offsets.Length; n++)
            table.Append(offsets[n] > 0 ? $"{newOffsets[n]:D10} 00000 n \n" : "0000000000 65535 f \n");
        table.Append(trailer).Append("startxref\n").Append(newXref.ToString(CultureInfo.InvariantCulture)).Append("\n%%EOF\n");
        output.Write(Encoding.Latin1.GetBytes(table.ToString()));
        var result = output.ToArray();

        // Each offset must still land on its object, or the original stands.
        var check = Encoding.Latin1.GetString(result);
        foreach (var n in order)
        {
            if (string.CompareOrdinal(check, (int)newOffsets[n], $"{n} 0 obj", 0, $"{n} 0 obj".Length) != 0) return null;
        }
        return result.Length < pdf.Length ? result : null;
    }

    private sealed record PdfObject(string Dictionary, byte[]? Stream, int End);

    /// <summary>The single xref section Skia writes (one subsection from object 0), and the trailer up to startxref.</summary>
    private static (int Start, int[] Offsets, string Trailer)? ReadXref(string text)
    {
        var startxref = text.LastIndexOf("startxref", StringComparison.Ordinal);
        if (startxref < 0) return null;
        var start = int.Parse(text.AsSpan(startxref + 9).Trim().ToString().Split('\n', '\r')[0], CultureInfo.InvariantCulture);
        var m = XrefHeader().Match(text, start);
        if (!m.Success || m.Index != start) return null;
        var count = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var offsets = new int[count];
        var at = m.Index + m.Length;
        for (var i = 0; i < count; i++, at += 20)
        {
            var entry = text.Substring(at, 20);
            offsets[i] = entry[17] == 'n' ? int.Parse(entry[..10], CultureInfo.InvariantCulture) : 0;
        }
        if (!text.AsSpan(at).StartsWith("trailer", StringComparison.Ordinal)) return null;
        return (start, offsets, text[at..startxref]);
    }

    private static PdfObject ReadObject(byte[] pdf, string text, int n, int offset, int end)
    {
        var header = $"{n} 0 obj";
        if (end <= offset || string.CompareOrdinal(text, offset, header, 0, header.Length) != 0)
            throw new FormatException($"object {n} is not at its offset");
        var stream = StreamStart().Match(text, offset, end - offset);
        if (!stream.Success) return new PdfObject(text[offset..end], null, end);
        var dictionary = text[offset..stream.Index];
        var length = StreamLength().Match(dictionary);
        if (!length.Success) throw new FormatException($"object {n}: a stream without a direct /Length");
        var dataStart = stream.Index + stream.Length;
        var data = pdf.AsSpan(dataStart, int.Parse(length.Groups[1].Value, CultureInfo.InvariantCulture)).ToArray();
        if (dataStart + data.Length > end) throw new FormatException($"object {n}: its stream runs past the next object");
        return new PdfObject(dictionary, data, end);
    }

    /// <summary>Two-byte glyph ids (Identity-H) of every hex string shown by Tj, TJ, ' or ".</summary>
    private static void AddShownGlyphs(string content, HashSet<int> used)
    {
        foreach (Match m in ShowText().Matches(content))
        {
            foreach (Match hex in HexString().Matches(m.Groups[1].Value))
            {
                var h = WhiteSpace().Replace(hex.Groups[1].Value, "");
                for (var i = 0; i + 4 <= h.Length; i += 4) used.Add(Convert.ToInt32(h.Substring(i, 4), 16));
            }
        }
    }

    private static byte[]? Inflate(byte[] data)
    {
        try
        {
            using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            using var output = new MemoryStream();
            z.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    private static byte[] Deflate(byte[] data)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.SmallestSize, leaveOpen: true)) z.Write(data);
        return output.ToArray();
    }

    [GeneratedRegex(@"\G\s*xref\s+0\s+(\d+)\s*?\n")]
    private static partial Regex XrefHeader();

    [GeneratedRegex(@">>\s*stream\r?\n")]
    private static partial Regex StreamStart();

    /// <summary>Skia opens each FontDescriptor with its type; a string cannot start an object's dictionary.</summary>
    [GeneratedRegex(@"\A\d+ 0 obj\s*<<\s*/Type\s*/FontDescriptor[\s/>]")]
    private static partial Regex FontDescriptor();

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhiteSpace();

    [GeneratedRegex(@"/FontFile2\s+(\d+)\s+0\s+R")]
    private static partial Regex FontFile2Reference();

    [GeneratedRegex(@"/Length\s+(\d+)(?!\d)(?!\s+\d+\s+R)")]
    private static partial Regex StreamLength();

    [GeneratedRegex(@"(<[0-9A-Fa-f\s]*>|\[[^\]]*\])\s*(?:Tj|TJ|'|"")")]
    private static partial Regex ShowText();

    [GeneratedRegex(@"<([0-9A-Fa-f\s]*)>")]
    private static partial Regex HexString();
}

/// <summary>
/// A TrueType font with only some glyphs' outlines: the others keep their ids and metrics but have no outline
/// (zero-length in loca). Composite glyphs keep their components. Layout tables and glyph names are dropped.
/// </summary>
internal static class TrueTypeSubset
{
    private static readonly HashSet<string> Dropped = ["GPOS", "GSUB", "GDEF", "kern", "FFTM", "DSIG", "JSTF", "BASE", "MATH", "hdmx", "LTSH", "VDMX"];

    public static byte[] Keep(byte[] font, IReadOnlySet<int> glyphs)
    {
        var tables = ReadTables(font);
        var head = tables["head"].ToArray();
        var numGlyphs = BinaryPrimitives.ReadUInt16BigEndian(tables["maxp"].AsSpan(4));
        var longLoca = BinaryPrimitives.ReadInt16BigEndian(head.AsSpan(50)) == 1;
        var loca = tables["loca"];
        var glyf = tables["glyf"];
        int Offset(int g) => longLoca ? (int)BinaryPrimitives.ReadUInt32BigEndian(loca.AsSpan(g * 4)) : BinaryPrimitives.ReadUInt16BigEndian(loca.AsSpan(g * 2)) * 2;

        var keep = new HashSet<int>();
        var pending = new Stack<int>(glyphs.Where(g => g >= 0 && g < numGlyphs));
        pending.Push(0);
        while (pending.TryPop(out var g))
        {
            if (!keep.Add(g)) continue;
            var start = Offset(g);
            if (Offset(g + 1) - start < 10 || BinaryPrimitives.ReadInt16BigEndian(glyf.AsSpan(start)) >= 0) continue;
            // Composite: flags, glyph index, then arguments and a transform whose sizes the flags give.
            var at = start + 10;
            ushort flags;
            do
            {
                flags = BinaryPrimitives.ReadUInt16BigEndian(glyf.AsSpan(at));
                var component = BinaryPrimitives.ReadUInt16BigEndian(glyf.AsSpan(at + 2));
                if (component < numGlyphs) pending.Push(component);
                at += 4 + ((flags & 0x0001) != 0 ? 4 : 2);
                if ((flags & 0x0008) != 0) at += 2;
                else if ((flags & 0x0040) != 0) at += 4;
                else if ((flags & 0x0080) != 0) at += 8;
            } while ((flags & 0x0020) != 0);
        }

        var newGlyf = new MemoryStream();
        var newLoca = new byte[(numGlyphs + 1) * 4];
        for (var g = 0; g < numGlyphs; g++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(newLoca.AsSpan(g * 4), (uint)newGlyf.Length);
            if (!keep.Contains(g)) continue;
            var start = Offset(g);
            newGlyf.Write(glyf, start, Offset(g + 1) - start);
            while (newGlyf.Length % 4 != 0) newGlyf.WriteByte(0);
        }
        BinaryPrimitives.WriteUInt32BigEndian(newLoca.AsSpan(numGlyphs * 4), (uint)newGlyf.Length);
        BinaryPrimitives.WriteInt16BigEndian(head.AsSpan(50), 1); // indexToLocFormat: long offsets
        BinaryPrimitives.WriteUInt32BigEndian(head.AsSpan(8), 0); // checkSumAdjustment, set below

        var output = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (tag, data) in tables)
        {
            if (Dropped.Contains(tag)) continue;
            output[tag] = tag switch
            {
                "head" => head,
                "loca" => newLoca,
                "glyf" => newGlyf.ToArray(),
                "post" => PostFormat3(data),
                _ => data,
            };
        }
        return Write(output);
    }

    /// <summary>post without glyph names: the 32-byte header with version 3.0.</summary>
    private static byte[] PostFormat3(byte[] post)
    {
        var header = post.AsSpan(0, 32).ToArray();
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x00030000);
        return header;
    }

    private static Dictionary<string, byte[]> ReadTables(byte[] font)
    {
        var version = BinaryPrimitives.ReadUInt32BigEndian(font);
        if (version != 0x00010000 && version != 0x74727565) throw new FormatException("not a TrueType font");
        var count = BinaryPrimitives.ReadUInt16BigEndian(font.AsSpan(4));
        var tables = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var entry = font.AsSpan(12 + i * 16, 16);
            var tag = Encoding.ASCII.GetString(entry[..4]);
            var offset = (int)BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(entry[12..]);
            tables[tag] = font.AsSpan(offset, length).ToArray();
        }
        foreach (var required in new[] { "head", "maxp", "loca", "glyf", "hmtx", "hhea" })
        {
            if (!tables.ContainsKey(required)) throw new FormatException($"no {required} table");
        }
        return tables;
    }

    private static byte[] Write(SortedDictionary<string, byte[]> tables)
    {
        var count = tables.Count;
        var entrySelector = (int)Math.Floor(Math.Log2(count));
        var searchRange = (1 << entrySelector) * 16;
        var directory = 12 + 16 * count;
        var total = directory + tables.Values.Sum(t => (t.Length + 3) & ~3);
        var font = new byte[total];
        BinaryPrimitives.WriteUInt32BigEndian(font, 0x00010000);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(4), (ushort)count);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(6), (ushort)searchRange);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(8), (ushort)entrySelector);
        BinaryPrimitives.WriteUInt16BigEndian(font.AsSpan(10), (ushort)(count * 16 - searchRange));
        var at = directory;
        var i = 0;
        var headAt = 0;
        foreach (var (tag, data) in tables)
        {
            var entry = font.AsSpan(12 + i++ * 16, 16);
            Encoding.ASCII.GetBytes(tag, entry);
            BinaryPrimitives.WriteUInt32BigEndian(entry[4..], Checksum(data));
            BinaryPrimitives.WriteUInt32BigEndian(entry[8..], (uint)at);
            BinaryPrimitives.WriteUInt32BigEndian(entry[12..], (uint)data.Length);
            data.CopyTo(font, at);
            if (tag == "head") headAt = at;
            at += (data.Length + 3) & ~3;
        }
        BinaryPrimitives.WriteUInt32BigEndian(font.AsSpan(headAt + 8), 0xB1B0AFBA - Checksum(font));
        return font;
    }

    private static uint Checksum(byte[] data)
    {
        uint sum = 0;
        for (var i = 0; i < data.Length; i += 4)
        {
            uint word = 0;
            for (var j = 0; j < 4; j++) word = (word << 8) | (i + j < data.Length ? data[i + j] : 0u);
            sum += word;
        }
        return sum;
    }
}
