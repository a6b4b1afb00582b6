using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;
using TeamSkills.Core.Gaps;

namespace TeamSkills.Web.Features.Gaps;

/// <summary>
/// An in-memory read model of the active roster and its completions, so the gap engine runs for any as-of date
/// without a database round trip per engineer. It is rebuilt when the database's data version moves
/// (bumped in the same transaction as every write), so every app instance notices changes made by another.
/// </summary>
public sealed class GapIndex(ILogger<GapIndex> log)
{
    private volatile GapSnapshot? _current;
    private readonly SemaphoreSlim _reload = new(1, 1);

    /// <summary>The snapshot as it is, without checking the database (for pushes right after a known change).</summary>
    public GapSnapshot? Current => _current;

    /// <summary>
    /// Applies a change to a few engineers' completions without a full reload: the writer committed
    /// <paramref name="version"/> and nothing else happened since the current snapshot. Otherwise (another writer in
    /// between, or no snapshot yet) it does nothing and the next reader reloads in full.
    /// </summary>
    public async Task ApplyEngineersAsync(TeamSkillsDbContext db, long version, IReadOnlyCollection<int> engineerIds, CancellationToken ct)
    {
        await _reload.WaitAsync(ct);
        try
        {
            var current = _current;
            if (current is null || current.Version != version - 1) return;
            var ids = engineerIds.Where(current.HasEngineer).Distinct().ToArray();
            var rows = await db.Completions.AsNoTracking().Where(c => ids.Contains(c.EngineerId))
                .OrderBy(c => c.EngineerId).ThenBy(c => c.CertificationId).ThenBy(c => c.EarnedOn)
                .Select(c => new { c.EngineerId, c.CertificationId, c.EarnedOn, c.ExpiresOn, c.ExpiryDerived })
                .ToListAsync(ct);
            var replacements = ids.ToDictionary(id => id, id => rows.Where(r => r.EngineerId == id)
                .Select(c => new CompletionEntry(current.CertIndex.GetValueOrDefault(c.CertificationId, -1), c.EarnedOn, c.ExpiresOn, c.ExpiryDerived))
                .ToArray());
            _current = current.WithCompletions(version, replacements);
        }
        finally
        {
            _reload.Release();
        }
    }

    public async Task<GapSnapshot> GetAsync(TeamSkillsDbContext db, CancellationToken ct)
    {
        var version = await db.DataVersionAsync(ct);
        var snapshot = _current;
        if (snapshot is not null && snapshot.Version == version) return snapshot;

        await _reload.WaitAsync(ct);
        try
        {
            snapshot = _current;
            if (snapshot is not null && snapshot.Version == version) return snapshot;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            snapshot = await GapSnapshot.LoadConsistentAsync(db, ct);
            // Never replace a newer snapshot with an older one (a slow reader may have started before a write).
            if (_current is null || snapshot.Version >= _current.Version) _current = snapshot;
            log.LogInformation("Gap index v{Version} loaded: {Engineers} engineers, {Completions} completions in {Ms:F0} ms",
                version, snapshot.Engineers.Length, snapshot.CompletionCount,
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return snapshot;
        }
        finally
        {
            _reload.Release();
        }
    }
}

public sealed record CertInfo(CertRule Rule, int ValidityMonths);

public sealed record RoleInfo(string Id, string Name, int[] Recommended, string?[] Focus);

public sealed record TeamInfo(int Id, string Name, string? ManagerEmail);

/// <summary>An active engineer; their completions are <c>Source[CompletionStart..+CompletionCount]</c>, ordered by certification then date.</summary>
public sealed record EngineerRow(int Id, string EmployeeId, string Name, string Email, string Title, int RoleIndex, int TeamId,
    string? ManagerEmail, CompletionEntry[] Source, int CompletionStart, int CompletionCount)
{
    public ReadOnlySpan<CompletionEntry> Completions => Source.AsSpan(CompletionStart, CompletionCount);
}

public sealed record ForecastMonth(DateOnly Month, int Count);

public sealed record ExpiryForecast(DateOnly AsOf, IReadOnlyList<ForecastMonth> Months);

public readonly record struct CompletionEntry(int CertIndex, DateOnly EarnedOn, DateOnly ExpiresOn, bool Derived);

public sealed class GapSnapshot
{
    public required long Version { get; init; }
    public required CertInfo[] Certs { get; init; }
    public required Dictionary<string, int> CertIndex { get; init; }
    public required Dictionary<string, CertRule> Rules { get; init; }
    public required RoleInfo[] Roles { get; init; }
    public required TeamInfo[] Teams { get; init; }
    /// <summary>Active engineers ordered by team, then name.</summary>
    public required EngineerRow[] Engineers { get; init; }
    public required CompletionEntry[] Completions { get; init; }
    public required Dictionary<int, (int Start, int Count)> EngineersByTeam { get; init; }
    /// <summary>Engineer id → position in <see cref="Engineers"/>.</summary>
    public required Dictionary<int, int> EngineerPositions { get; init; }
    public int CompletionCount { get; init; }

    public bool HasEngineer(int engineerId) => EngineerPositions.ContainsKey(engineerId);

    /// <summary>The words for the "expiring" count (<see cref="Core.Gaps.ExpiringLabel"/>), from the catalog's renewal windows.</summary>
    public string ExpiringLabel => Core.Gaps.ExpiringLabel.For(Certs.Select(c => c.Rule.RenewalWindowDays));

    public int? TeamOf(int engineerId) => EngineerPositions.TryGetValue(engineerId, out var i) ? Engineers[i].TeamId : null;

    /// <summary>A copy at <paramref name="version"/> with some engineers' completions replaced; the rest is shared.</summary>
    public GapSnapshot WithCompletions(long version, IReadOnlyDictionary<int, CompletionEntry[]> replacements)
    {
        var engineers = (EngineerRow[])Engineers.Clone();
        var count = CompletionCount;
        foreach (var (id, entries) in replacements)
        {
            var i = EngineerPositions[id];
            count += entries.Length - engineers[i].CompletionCount;
            engineers[i] = engineers[i] with { Source = entries, CompletionStart = 0, CompletionCount = entries.Length };
        }
        return new GapSnapshot
        {
            Version = version, Certs = Certs, CertIndex = CertIndex, Rules = Rules, Roles = Roles, Teams = Teams,
            Engineers = engineers, Completions = Completions, EngineersByTeam = EngineersByTeam,
            EngineerPositions = EngineerPositions, CompletionCount = count,
        };
    }

    /// <summary>Team tallies per as-of date, computed once per snapshot: the data behind them cannot change.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<DateOnly, IReadOnlyDictionary<int, TeamTally>> _tallies = new();

    /// <summary>
    /// Reads the version and every table in one read transaction, so the snapshot is one moment of the database
    /// (on SQLite a deferred transaction: a WAL read snapshot that takes no write lock).
    /// </summary>
    public static async Task<GapSnapshot> LoadConsistentAsync(TeamSkillsDbContext db, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is null && db.Database.GetDbConnection() is Microsoft.Data.Sqlite.SqliteConnection sqlite)
        {
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                await using var tx = sqlite.BeginTransaction(deferred: true);
                await db.Database.UseTransactionAsync(tx, ct);
                var snapshot = await LoadAsync(db, await db.DataVersionAsync(ct), ct);
                await db.Database.UseTransactionAsync(null, ct);
                await tx.CommitAsync(ct);
                return snapshot;
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
        await using var other = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct);
        return await LoadAsync(db, await db.DataVersionAsync(ct), ct);
    }

    public static async Task<GapSnapshot> LoadAsync(TeamSkillsDbContext db, long version, CancellationToken ct)
    {
        var certs = await db.Certifications.AsNoTracking().OrderBy(c => c.CatalogOrder).ToListAsync(ct);
        var certIndex = certs.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);
        var certInfos = certs.Select(c => new CertInfo(
            new CertRule(c.Id, c.Name, c.Level, c.RecommendedOrder, c.CatalogOrder, c.HardPrerequisiteId, c.PreparationDays, c.RenewalWindowDays),
            c.ValidityMonths)).ToArray();

        // ORDER BY on text follows the database's collation (SQLite: binary; PostgreSQL and SQL Server: usually the
        // locale's, where case and punctuation sort differently), so names are put in order here, ordinally, as the
        // reports do: every provider lists roles, teams and engineers alike.
        var roleRows = (await db.JobRoles.AsNoTracking().Include(r => r.Certifications).ToListAsync(ct))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        var roles = roleRows.Select(r =>
        {
            var recs = r.Certifications.Where(rc => certIndex.ContainsKey(rc.CertificationId))
                .OrderBy(rc => certIndex[rc.CertificationId]).ToList();
            return new RoleInfo(r.Id, r.Name, recs.Select(rc => certIndex[rc.CertificationId]).ToArray(), recs.Select(rc => rc.Focus).ToArray());
        }).ToArray();
        var roleIndex = roles.Select((r, i) => (r.Id, i)).ToDictionary(x => x.Id, x => x.i, StringComparer.Ordinal);

        var teams = (await db.Teams.AsNoTracking().Select(t => new TeamInfo(t.Id, t.Name, t.ManagerEmail)).ToListAsync(ct))
            .OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();

        var engineers = await db.Engineers.AsNoTracking().Where(e => e.Active)
            .Select(e => new { e.Id, e.EmployeeId, e.Name, e.Email, e.Title, e.RoleId, e.TeamId, e.ManagerEmail })
            .ToListAsync(ct);
        engineers.Sort((a, b) => a.TeamId != b.TeamId ? a.TeamId.CompareTo(b.TeamId)
            : string.CompareOrdinal(a.Name, b.Name) is var byName and not 0 ? byName : string.CompareOrdinal(a.EmployeeId, b.EmployeeId));

        // All completions in index order, filtered here: cheaper than a correlated "engineer is active" test per row.
        var active = engineers.Select(e => e.Id).ToHashSet();
        var completionRows = (await db.Completions.AsNoTracking()
            .OrderBy(c => c.EngineerId).ThenBy(c => c.CertificationId).ThenBy(c => c.EarnedOn)
            .Select(c => new { c.EngineerId, c.CertificationId, c.EarnedOn, c.ExpiresOn, c.ExpiryDerived })
            .ToListAsync(ct))
            .Where(c => active.Contains(c.EngineerId))
            .ToList();

        var byEngineer = new Dictionary<int, (int Start, int Count)>();
        var completions = new CompletionEntry[completionRows.Count];
        for (var i = 0; i < completionRows.Count; i++)
        {
            var c = completionRows[i];
            completions[i] = new CompletionEntry(certIndex.GetValueOrDefault(c.CertificationId, -1), c.EarnedOn, c.ExpiresOn, c.ExpiryDerived);
            byEngineer[c.EngineerId] = byEngineer.TryGetValue(c.EngineerId, out var range) ? (range.Start, range.Count + 1) : (i, 1);
        }

        var rows = new EngineerRow[engineers.Count];
        var byTeam = new Dictionary<int, (int Start, int Count)>();
        var positions = new Dictionary<int, int>(engineers.Count);
        for (var i = 0; i < engineers.Count; i++)
        {
            var e = engineers[i];
            var range = byEngineer.GetValueOrDefault(e.Id);
            rows[i] = new EngineerRow(e.Id, e.EmployeeId, e.Name, e.Email, e.Title,
                e.RoleId is not null && roleIndex.TryGetValue(e.RoleId, out var ri) ? ri : -1,
                e.TeamId, e.ManagerEmail, completions, range.Start, range.Count);
            positions[e.Id] = i;
            byTeam[e.TeamId] = byTeam.TryGetValue(e.TeamId, out var t) ? (t.Start, t.Count + 1) : (i, 1);
        }

        return new GapSnapshot
        {
            Version = version, Certs = certInfos, CertIndex = certIndex,
            Rules = certInfos.ToDictionary(c => c.Rule.Id, c => c.Rule, StringComparer.Ordinal),
            Roles = roles, Teams = teams, Engineers = rows, Completions = completions, EngineersByTeam = byTeam,
            EngineerPositions = positions, CompletionCount = completions.Length,
        };
    }

    public ReadOnlySpan<EngineerRow> TeamEngineers(int teamId) =>
        EngineersByTeam.TryGetValue(teamId, out var r) ? Engineers.AsSpan(r.Start, r.Count) : [];

    /// <summary>The completion that counts for one certification on <paramref name="asOf"/>, or null.</summary>
    public CompletionEntry? Best(EngineerRow engineer, int certIndex, DateOnly asOf)
    {
        CompletionEntry? best = null;
        foreach (var c in engineer.Completions)
        {
            if (c.CertIndex != certIndex || c.EarnedOn > asOf) continue;
            if (best is null || c.ExpiresOn > best.Value.ExpiresOn) best = c;
        }
        return best;
    }

    public CertStatus StatusOf(EngineerRow engineer, int certIndex, DateOnly asOf) =>
        GapEngine.Classify(Best(engineer, certIndex, asOf)?.ExpiresOn, asOf, Certs[certIndex].Rule.RenewalWindowDays);

    /// <summary>
    /// The "compliance cliff": for each of the 12 months from <paramref name="asOf"/>'s month, how many recommended
    /// certifications held on <paramref name="asOf"/> by engineers of the given teams expire in that month.
    /// </summary>
    public ExpiryForecast Forecast(IEnumerable<int> teamIds, DateOnly asOf)
    {
        var counts = new int[12];
        var first = new DateOnly(asOf.Year, asOf.Month, 1);
        foreach (var teamId in teamIds)
        {
            foreach (var e in TeamEngineers(teamId))
            {
                if (e.RoleIndex < 0) continue;
                foreach (var ci in Roles[e.RoleIndex].Recommended)
                {
                    if (Best(e, ci, asOf) is not { } best || best.ExpiresOn <= asOf) continue;
                    var month = (best.ExpiresOn.Year - first.Year) * 12 + best.ExpiresOn.Month - first.Month;
                    if (month < 12) counts[month]++;
                }
            }
        }
        return new ExpiryForecast(asOf, counts.Select((c, i) => new ForecastMonth(first.AddMonths(i), c)).ToList());
    }

    /// <summary>Every team's tally on <paramref name="asOf"/>, in one pass over the roster.</summary>
    public IReadOnlyDictionary<int, TeamTally> Tallies(DateOnly asOf)
    {
        if (_tallies.TryGetValue(asOf, out var cached)) return cached;
        var result = new Dictionary<int, TeamTally>(EngineersByTeam.Count);
        foreach (var teamId in EngineersByTeam.Keys) result[teamId] = Tally(teamId, asOf);
        if (_tallies.Count >= 64) _tallies.Clear(); // as-of dates are few in practice; stay bounded anyway
        _tallies[asOf] = result;
        return result;
    }

    public TeamTally Tally(int teamId, DateOnly asOf)
    {
        var tally = new TeamTally();
        foreach (var e in TeamEngineers(teamId))
        {
            tally.AddEngineer(e.RoleIndex >= 0);
            if (e.RoleIndex < 0) continue;
            foreach (var ci in Roles[e.RoleIndex].Recommended) tally.AddStatus(StatusOf(e, ci, asOf));
        }
        return tally;
    }
}
