using System.ComponentModel.DataAnnotations;

namespace TeamSkills.Web.Features.Platform;

public sealed class TeamSkillsOptions
{
    public const string Section = "TeamSkills";

    /// <summary>Where the embedded database and other local files live; relative to the content root.</summary>
    [Required] public string DataDirectory { get; set; } = "./data";

    /// <summary>The organisation's time zone: "today" (the default as-of date) is taken there.</summary>
    [Required] public string TimeZone { get; set; } = "UTC";

    public bool Demo { get; set; }

    public string ResolveDataDirectory(string contentRoot) =>
        Path.GetFullPath(Path.IsPathRooted(DataDirectory) ? DataDirectory : Path.Combine(contentRoot, DataDirectory));
}

public sealed class ImportOptions
{
    public const string Section = "TeamSkills:Imports";

    [Range(1024, 1L << 31)] public long MaxUploadBytes { get; set; } = 20L * 1024 * 1024;
    [Range(1024, 1L << 34)] public long MaxInflatedBytes { get; set; } = 256L * 1024 * 1024;
    [Range(8, 16384)] public int MaxColumns { get; set; } = 256;
}
