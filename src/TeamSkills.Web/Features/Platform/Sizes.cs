using System.Globalization;

namespace TeamSkills.Web.Features.Platform;

public static class Sizes
{
    /// <summary>A byte count for people: "812 B", "23.1 KB", "4.3 MB".</summary>
    public static string Human(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };
}
