namespace TeamSkills.Core.Data;

/// <summary>
/// Key/value rows the app keeps for itself. "data_version" is bumped in the same transaction as every
/// change to roster, completions or catalog, so every instance can tell its in-memory gap index is stale.
/// </summary>
public sealed class AppState
{
    public required string Key { get; set; }
    public long Value { get; set; }
    public const string DataVersion = "data_version";

    /// <summary>Bumped when a bootstrap-admin session signs out: every bootstrap cookie carries the value it was issued
    /// under (absent: 0).</summary>
    public const string BootstrapSessions = "bootstrap_sessions";
}
