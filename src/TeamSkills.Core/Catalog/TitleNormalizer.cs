using System.Text;

namespace TeamSkills.Core.Catalog;

/// <summary>
/// Turns an HR job title into the key the alias table maps: lower case, punctuation to spaces,
/// seniority words and grades dropped. "Sr. Site-Reliability Engineer II" → "site reliability engineer".
/// </summary>
public static class TitleNormalizer
{
    private static readonly HashSet<string> SeniorityWords = new(StringComparer.Ordinal)
    {
        "junior", "jr", "senior", "sr", "staff", "principal", "lead", "chief",
        "i", "ii", "iii", "iv", "1", "2", "3", "4",
    };

    public static string Normalize(string? title)
    {
        if (string.IsNullOrWhiteSpace(title)) return "";
        var sb = new StringBuilder(title.Length);
        // Unicode compatibility folding only when needed: most titles are ASCII, and ICU is the slow part.
        var text = System.Text.Ascii.IsValid(title) ? title : title.Normalize(NormalizationForm.FormKC);
        foreach (var ch in text)
        {
            sb.Append(char.IsLetterOrDigit(ch) ? char.ToLowerInvariant(ch) : ' ');
        }
        var words = sb.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !SeniorityWords.Contains(w));
        return string.Join(' ', words);
    }
}
