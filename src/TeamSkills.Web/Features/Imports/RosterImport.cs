using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Data;
using TeamSkills.Core.Data.Configurations;
using TeamSkills.Core.Imports;
using TeamSkills.Core.Roster;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// Roster import: validate every row, diff against the database, then apply all of it in one transaction or
/// nothing. Key: employee_id. mode=full deactivates engineers missing from the file; mode=partial only upserts.
/// </summary>
public sealed class RosterImport(TeamSkillsDbContext db, OrgClock clock, Audit.AuditLog audit, IOptions<ImportOptions> options,
    IImportProgress progressSink, ILogger<RosterImport> log,
    Live.GapChanges live)
{
    public static readonly ColumnSpec[] Columns =
    [
        new("employee_id", true, "employee id", "employee number", "employee no", "emp id", "id"),
        new("name", true, "full name", "employee name"),
        new("email", true, "work email", "e-mail", "email address", "work e-mail"),
        new("team", true, "department", "team name"),
        new("manager_email", true, "manager email", "manager", "manager e-mail", "manager email address"),
        new("role", true, "title", "job title", "position"),
    ];

    private sealed record Row(int Line, string EmployeeId, string Name, string Email, string Team, string? ManagerEmail, string Title, string NormalizedTitle);

    private sealed record Existing(int Id, string EmployeeId, string Name, string Email, string Title, int TeamId, string? ManagerEmail, bool Active);

    public Task<ImportOutcomeResult> ExecuteAsync(ImportRequest req, CancellationToken ct) =>
        ImportProgressReporter.TrackAsync(progressSink, log, req, "roster", progress => ImportAsync(req, progress, ct));

    private async Task<ImportOutcomeResult> ImportAsync(ImportRequest req, ImportProgressReporter progress, CancellationToken ct)
    {
        var now = clock.Now;
        // The stored copy of the file is compressed on another core while this one waits for the database: once validation
        // is over (it uses both cores), right away for a refused file or a preview, as the writing starts for an import
        // that applies.
        Task<ImportFile>? compressing = null;
        Task<ImportFile> Compressed() => compressing ??= ImportSupport.CompressInBackground(req);
        var phases = new Phases();
        var (table, problem) = TabularFile.Read(req.Content, ImportSupport.Limits(options.Value));
        phases.Mark("read");
        if (problem is not null) return await ImportSupport.RejectFileAsync(db, audit, ImportKind.Roster, req, problem, Compressed(), now, ct);

        var errors = new List<ImportError>();
        var map = ColumnMap.Resolve(table!.Header, table.HeaderLine, Columns, errors);
        var warnings = new ImportWarnings();
        var rows = errors.Count == 0 ? Validate(table, map, errors, warnings, progress) : [];
        if (errors.Count == 0 && rows.Count == 0)
            errors.Add(new ImportError(table.HeaderLine, "", "The file has a header but no data rows."));

        phases.Mark("validate");
        // Nothing to write (refused, or a preview): the stored copy can be compressed while the current data is read.
        if (errors.Count > 0 || req.DryRun) _ = Compressed();
        // The write transaction takes the writer lock before the current data is read (BeginWriteTransactionAsync), so
        // the diff is computed against exactly what it will be applied to, even with writers in other instances.
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var aliases = await db.RoleAliases.AsNoTracking().ToDictionaryAsync(a => a.NormalizedTitle, a => a.RoleId, StringComparer.Ordinal, ct);
        var existing = await db.Engineers.AsNoTracking()
            .Select(e => new Existing(e.Id, e.EmployeeId, e.Name, e.Email, e.Title, e.TeamId, e.ManagerEmail, e.Active))
            .ToDictionaryAsync(e => e.EmployeeId, StringComparer.Ordinal, ct);
        var teams = await db.Teams.AsNoTracking().ToListAsync(ct);
        var teamByName = ByName(teams);
        var teamById = teams.ToDictionary(t => t.Id);
        var full = req.Mode == "full";
        phases.Mark("load");

        // Only ever asked about existing engineers: into an empty roster (a first load), no set to build.
        var inFile = new HashSet<string>(existing.Count == 0 ? 0 : rows.Count, StringComparer.Ordinal);
        if (existing.Count > 0) foreach (var r in rows) inFile.Add(r.EmployeeId);
        if (errors.Count == 0 && !full) CheckEmailConflicts(rows, inFile, existing, map, errors);
        var (created, updated, unchanged) = Diff(rows, existing, teamByName);
        var deactivate = full ? existing.Values.Where(e => e.Active && !inFile.Contains(e.EmployeeId)).ToList() : [];
        if (errors.Count == 0)
        {
            WarnAboutLookalikes(created, deactivate, map, warnings);
            WarnAboutDifferentPeople(updated, map, warnings);
        }
        var newTeams = NewTeams(rows, teamByName);
        var additions = RosterAdditions.From(newTeams, NewUnmappedTitles(rows, aliases, existing));
        phases.Mark("diff");
        var format = table.Format;
        var record = ImportSupport.NewRecord(ImportKind.Roster, req, format, now, file: null);
        if (errors.Count == 0)
            record.ChangesJson = (Describe(created, updated, deactivate, teamById, teamByName) with { Warnings = warnings.Kept, WarningCount = warnings.Count, Additions = additions }).ToJson();
        errors.Sort((a, b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : string.CompareOrdinal(a.Column, b.Column));
        if (errors.Count > 0)
        {
            var response = new ImportResponse(null, false, req.DryRun, req.Mode, format, table.Rows.Count, 0, 0, 0, 0, errors,
                ImportSupport.RejectedMessage(errors.Count));
            ImportSupport.Fill(record, ImportOutcome.Rejected, response);
            record.File = await Compressed();
            return new(422, response with { ImportId = await ImportSupport.RecordOnlyAsync(db, record, audit, ct) });
        }

        var changes = created.Count + updated.Count + deactivate.Count;
        var message = changes == 0
            ? "No changes: the roster already matches this file."
            : req.DryRun
                ? $"Would create {created.Count}, update {updated.Count}, deactivate {deactivate.Count}; {unchanged} unchanged."
                : $"Created {created.Count}, updated {updated.Count}, deactivated {deactivate.Count}; {unchanged} unchanged.";
        // About the whole file, so in the answer (automated HR feeds read only that) and not among the page's row warnings,
        // where the import's page says it in its own note.
        var fileWarnings = MostlyDeactivates(req.Mode, deactivate.Count, updated.Count + unchanged, req.DryRun) is { } mostly
            ? new[] { new ImportError(table.HeaderLine, "", mostly) } : [];
        var summary = new ImportResponse(null, !req.DryRun && changes > 0, req.DryRun, req.Mode, format, rows.Count,
            created.Count, updated.Count, deactivate.Count, unchanged, [], message)
            { Warnings = [.. fileWarnings, .. warnings.Kept], WarningCount = fileWarnings.Length + warnings.Count }.With(additions);
        if (req.DryRun || changes == 0)
        {
            ImportSupport.Fill(record, req.DryRun ? ImportOutcome.DryRun : ImportOutcome.Unchanged, summary);
            record.File = await Compressed();
            return new(200, summary with { ImportId = await ImportSupport.RecordOnlyAsync(db, record, audit, ct) });
        }


        progress.Writing();
        _ = Compressed();
        // Teams first: new names get rows, so engineers can point at them.
        var managers = ManagersAfterImport(rows, existing, inFile, teamById, full);
        await ImportSupport.BulkInsertAsync(tx, "teams", ["name", "manager_email"], newTeams, (name, v) =>
        {
            v[0] = name;
            v[1] = managers.GetValueOrDefault(name);
        }, ct: ct);
        if (newTeams.Count > 0) teamByName = ByName(await db.Teams.AsNoTracking().ToListAsync(ct));

        phases.Mark("teams");
        await ImportSupport.BulkInsertAsync(tx, "engineers",
            ["employee_id", "name", "email", "title", "normalized_title", "role_id", "team_id", "manager_email"],
            created, (r, v) =>
            {
                v[0] = r.EmployeeId; v[1] = r.Name; v[2] = r.Email; v[3] = r.Title; v[4] = r.NormalizedTitle;
                v[5] = aliases.GetValueOrDefault(r.NormalizedTitle); v[6] = teamByName[r.Team].Id; v[7] = r.ManagerEmail;
            },
            new Dictionary<string, object> { ["active"] = true, ["created_at"] = now.UtcTicks, ["updated_at"] = now.UtcTicks }, ct, log);

        phases.Mark("insert");
        await using (var update = ImportSupport.Command(tx,
            "UPDATE engineers SET name = @name, email = @email, title = @title, normalized_title = @normalized_title, role_id = @role_id, " +
            "team_id = @team_id, manager_email = @manager_email, active = @active, updated_at = @updated_at WHERE id = @id",
            "name", "email", "title", "normalized_title", "role_id", "team_id", "manager_email", "active", "updated_at", "id"))
        {
            var p = update.Parameters;
            p["@active"].Value = true;
            p["@updated_at"].Value = now.UtcTicks;
            ImportSupport.Prepare(update);
            foreach (var (r, old) in updated)
            {
                p["@id"].Value = old.Id;
                p["@name"].Value = r.Name;
                p["@email"].Value = r.Email;
                p["@title"].Value = r.Title;
                p["@normalized_title"].Value = r.NormalizedTitle;
                p["@role_id"].Value = ImportSupport.Db(aliases.GetValueOrDefault(r.NormalizedTitle));
                p["@team_id"].Value = teamByName[r.Team].Id;
                p["@manager_email"].Value = ImportSupport.Db(r.ManagerEmail);
                update.ExecuteNonQuery();
            }
        }

        await using (var off = ImportSupport.Command(tx, "UPDATE engineers SET active = @active, updated_at = @updated_at WHERE id = @id",
            "active", "updated_at", "id"))
        {
            off.Parameters["@active"].Value = false;
            off.Parameters["@updated_at"].Value = now.UtcTicks;
            ImportSupport.Prepare(off);
            foreach (var e in deactivate)
            {
                off.Parameters["@id"].Value = e.Id;
                off.ExecuteNonQuery();
            }
        }

        phases.Mark("update");
        await UpdateTeamManagersAsync(tx, managers, teams, ct);
        phases.Mark("managers");
        await db.BumpDataVersionAsync(ct);
        ImportSupport.Fill(record, ImportOutcome.Applied, summary);
        record.File = await Compressed();
        db.Imports.Add(record);
        await db.SaveChangesAsync(ct);
        phases.Mark("record");
        audit.Import(record);
        await db.SaveChangesAsync(ct);
        phases.Mark("audit");
        await tx.CommitAsync(ct);
        phases.Mark("commit");
        db.ChangeTracker.Clear();
        live.Publish(Live.DataChange.Everything(Live.DataChange.RosterImport));
        log.LogInformation("Roster import {ImportId} by {User}: {Created} created, {Updated} updated, {Deactivated} deactivated, {Unchanged} unchanged ({Phases})",
            record.Id, req.ImportedBy, created.Count, updated.Count, deactivate.Count, unchanged, phases);
        return new(200, summary with { ImportId = record.Id });
    }

    /// <summary>One row's own checks, which need no other row: its cleaned fields and what is wrong with it.</summary>
    private readonly record struct RowCheck(string EmployeeId, string Name, string Email, string Team, string Manager, string Title,
        List<ImportError>? Errors, bool Short);

    /// <summary>From this many rows, the rows' own checks run on every core, in as many slices of the file.</summary>
    internal const int ParallelValidationRows = 20_000;

    /// <summary>
    /// Every row's own checks (in parallel for a large file: they are most of validation's time), then one pass in file
    /// order for what depends on the rows before: duplicate ids and emails, which name the first row's line.
    /// </summary>
    private static List<Row> Validate(TabularTable table, ColumnMap map, List<ImportError> errors, ImportWarnings warnings,
        ImportProgressReporter progress)
    {
        var count = table.Rows.Count;
        var checks = new RowCheck[count];
        var csv = table.Format == "csv";
        var step = progress.StartValidating(count);
        var slices = count >= ParallelValidationRows ? Math.Clamp(Environment.ProcessorCount, 1, 8) : 1;
        var size = (count + slices - 1) / slices;
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = slices }, slice =>
        {
            var end = Math.Min(count, (slice + 1) * size);
            // The first slice reports for all: the slices keep about the same pace.
            var nextReport = slice == 0 ? step / slices : int.MaxValue;
            for (var i = slice * size; i < end; i++)
            {
                checks[i] = Check(table.Rows[i], map, csv);
                if (i + 1 == nextReport)
                {
                    progress.Validating(Math.Min(count, (i + 1) * slices));
                    nextReport += Math.Max(1, step / slices);
                }
            }
        });
        progress.Validating(count);

        var rows = new List<Row>(count);
        // Sized up front: growing 100k-entry tables reallocates on the large-object heap, which costs full GCs.
        var seenIds = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var seenEmails = new Dictionary<string, int>(count, StringComparer.OrdinalIgnoreCase);
        var normalized = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var c = checks[i];
            var line = table.Rows[i].Line;
            if (c.Errors is { } own) errors.AddRange(own);
            if (c.Short)
            {
                // Its id and email still count as taken: a later row repeating them is reported now, not after this one is fixed.
                if (c.EmployeeId.Length > 0) seenIds.TryAdd(c.EmployeeId, line);
                if (c.Email.Length > 0) seenEmails.TryAdd(c.Email, line);
                continue;
            }
            var before = errors.Count;
            if (c.EmployeeId.Length > 0 && !seenIds.TryAdd(c.EmployeeId, line))
                errors.Add(new ImportError(line, map.HeaderOf("employee_id"), $"Duplicate employee_id '{Clip(c.EmployeeId)}' (first on line {seenIds[c.EmployeeId]})."));
            if (c.Email.Length > 0 && !seenEmails.TryAdd(c.Email, line))
                errors.Add(new ImportError(line, map.HeaderOf("email"), $"Duplicate email '{Clip(c.Email)}' (first on line {seenEmails[c.Email]})."));
            if (c.Errors is not null || errors.Count != before) continue;

            // Valid, but a manager vote for oneself makes a team its own manager's: usually an HR export's placeholder.
            if (c.Manager.Length > 0 && c.Manager == c.Email)
                warnings.Add(line, map.HeaderOf("manager_email"),
                    $"manager_email is the engineer's own email ({Clip(c.Email)}); leave it empty for someone nobody in the roster manages.");
            // Titles repeat across thousands of rows: normalise each distinct one once.
            if (!normalized.TryGetValue(c.Title, out var key)) normalized[c.Title] = key = TitleNormalizer.Normalize(c.Title);
            rows.Add(new Row(line, c.EmployeeId, c.Name, c.Email, c.Team, c.Manager.Length == 0 ? null : c.Manager, c.Title, key));
        }
        return rows;
    }

    /// <summary>One row's fields, cleaned (text in NFC, emails in lower case), with what is wrong with the row by itself.</summary>
    // Runs once per row: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static RowCheck Check(TabularRow raw, ColumnMap map, bool csv)
    {
        List<ImportError>? errors = null;
        var line = raw.Line;
        void Error(string column, string message) => (errors ??= []).Add(new ImportError(line, column, message));

        // A CSV row cut short would blank what it does not reach (in partial mode, over the engineer's current values).
        // An .xlsx row simply ends at its last filled cell. Said once, alone: "team is required" on the same row would
        // point at the data when the commas are what is missing.
        if (csv && raw.Cells.Length < map.Width && map.Unreached(raw.Cells) is { Count: > 0 } unreached)
        {
            Error(unreached[0], $"The row has {raw.Cells.Length} fields but the header has {map.Width}: " +
                $"{string.Join(", ", unreached)} would be empty. An empty field still needs its comma.");
            return new RowCheck(map.Get(raw.Cells, "employee_id"), "", ImportSupport.Nfc(map.Get(raw.Cells, "email")).ToLowerInvariant(),
                "", "", "", errors, Short: true);
        }

        string Required(string column, int max)
        {
            // The key stays as written (compared ordinally, like the database); text compares in NFC.
            var value = column == "employee_id" ? map.Get(raw.Cells, column) : ImportSupport.Nfc(map.Get(raw.Cells, column));
            if (value.Length == 0) Error(map.HeaderOf(column), $"{column} is required.");
            else if ((column == "employee_id" ? ImportSupport.CheckKey(value, max) : ImportSupport.CheckText(value, max)) is { } why)
                Error(map.HeaderOf(column), $"{column} {why}.");
            return value;
        }

        var employeeId = Required("employee_id", FieldLimits.EmployeeId);
        var name = Required("name", FieldLimits.Name);
        var email = Required("email", FieldLimits.Email).ToLowerInvariant();
        var team = Required("team", FieldLimits.Team);
        var manager = ImportSupport.Nfc(map.Get(raw.Cells, "manager_email")).ToLowerInvariant();
        var title = ImportSupport.Nfc(map.Get(raw.Cells, "role"));

        if (email.Length > 0 && email.Length <= FieldLimits.Email && !ImportSupport.IsValidEmail(email))
            Error(map.HeaderOf("email"), $"'{Clip(email)}' is not a valid email address.");
        if (manager.Length > 0 && !ImportSupport.IsValidEmail(manager))
            Error(map.HeaderOf("manager_email"), $"'{Clip(manager)}' is not a valid email address.");
        if (ImportSupport.CheckText(title, FieldLimits.Title) is { } titleWhy)
            Error(map.HeaderOf("role"), $"role {titleWhy}.");
        if (raw.Cells.Length > map.Width && raw.Cells.Skip(map.Width).Any(c => c.Trim().Length > 0))
            Error($"#{map.Width + 1}", $"The row has {raw.Cells.Length} fields but the header has {map.Width}.");
        return new RowCheck(employeeId, name, email, team, manager, title, errors, Short: false);
    }

    /// <summary>
    /// The file's rows against the database: new engineers (sorted by employee id, so the list on the import's page reads
    /// in order and the unique index on employee_id grows at its end), changed ones with their current values, and how
    /// many already match.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static (List<Row> Created, List<(Row Row, Existing Old)> Updated, int Unchanged) Diff(List<Row> rows,
        Dictionary<string, Existing> existing, Dictionary<string, Team> teamByName)
    {
        var created = new List<Row>(rows.Count - Math.Min(rows.Count, existing.Count));
        var updated = new List<(Row Row, Existing Old)>();
        var unchanged = 0;
        foreach (var row in rows)
        {
            if (!existing.TryGetValue(row.EmployeeId, out var old)) { created.Add(row); continue; }
            if (old.Active && SameTeam(row, old, teamByName) && old.Name == row.Name && old.Email == row.Email && old.Title == row.Title && old.ManagerEmail == row.ManagerEmail)
                unchanged++;
            else
                updated.Add((row, old));
        }
        // HR exports usually come sorted by employee id already: one pass finds out, instead of a sort's 1.7 million comparisons.
        var sorted = true;
        for (var i = 1; i < created.Count && sorted; i++) sorted = string.CompareOrdinal(created[i - 1].EmployeeId, created[i].EmployeeId) <= 0;
        if (!sorted) created.Sort((a, b) => string.CompareOrdinal(a.EmployeeId, b.EmployeeId));
        return (created, updated, unchanged);
    }

    /// <summary>The row names the team the engineer is in (a team the import would create is another team).</summary>
    private static bool SameTeam(Row row, Existing old, Dictionary<string, Team> teamByName) =>
        teamByName.TryGetValue(row.Team, out var team) && team.Id == old.TeamId;

    /// <summary>
    /// Teams by name as the file's rows name them: case-insensitively, in NFC. A team stored before names were normalized
    /// may be decomposed (a Mac export's 'e' + U+0301): it is still the file's team, and of names that differ only so,
    /// the oldest team is the one used. The names are normalized on these untracked copies only; the rows stay as stored.
    /// </summary>
    private static Dictionary<string, Team> ByName(List<Team> teams)
    {
        var byName = new Dictionary<string, Team>(teams.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var t in teams.OrderBy(t => t.Id))
        {
            t.Name = ImportSupport.Nfc(t.Name);
            byName.TryAdd(t.Name, t);
        }
        return byName;
    }

    /// <summary>
    /// A full-mode roster that deactivates more engineers than it keeps (updated or unchanged): usually a partial file sent
    /// in full mode. The import's page and the API's warnings say it in these words.
    /// </summary>
    public static string? MostlyDeactivates(string mode, int deactivated, int kept, bool preview) =>
        mode != "full" || deactivated <= kept ? null
        : preview
            ? $"Full mode deactivates everyone missing from the file, and this file would deactivate more engineers ({deactivated}) than it keeps ({kept}). " +
              "If it lists only some of the organisation, preview it again in partial mode, which only adds and updates."
            : $"Full mode deactivates everyone missing from the file, and this file deactivated more engineers ({deactivated}) than it kept ({kept}). " +
              "If it listed only some of the organisation, import the complete roster to bring the others back.";

    /// <summary>
    /// A new employee id whose email belongs to an engineer this import deactivates: a rehire under a new id is fine, but a
    /// changed or mistyped id (an invisible character, a new HR numbering) would split one person in two, their
    /// completions staying with the old record.
    /// </summary>
    private static void WarnAboutLookalikes(List<Row> created, List<Existing> deactivate, ColumnMap map, ImportWarnings warnings)
    {
        if (created.Count == 0 || deactivate.Count == 0) return;
        var leaving = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var e in deactivate) leaving.TryAdd(e.Email, e.EmployeeId);
        foreach (var r in created)
        {
            if (leaving.TryGetValue(r.Email, out var old))
                warnings.Add(r.Line, map.HeaderOf("employee_id"),
                    $"New employee_id '{Clip(r.EmployeeId)}' has the email of '{Clip(old)}', whom this import deactivates: if it is the same person " +
                    "under a changed id, their completions stay with the old record.");
        }
    }

    /// <summary>
    /// An existing employee id whose row changes both the name and the email: a marriage changes one, a reused or
    /// renumbered id (or the template's example rows) changes both, and the old person's completions would pass to the new one.
    /// </summary>
    private static void WarnAboutDifferentPeople(List<(Row Row, Existing Old)> updated, ColumnMap map, ImportWarnings warnings)
    {
        foreach (var (r, old) in updated)
        {
            if (string.Equals(r.Name, ImportSupport.Nfc(old.Name), StringComparison.OrdinalIgnoreCase)
                || string.Equals(r.Email, old.Email, StringComparison.OrdinalIgnoreCase)) continue;
            warnings.Add(r.Line, map.HeaderOf("employee_id"),
                $"Looks like a different person: {Clip(r.EmployeeId)} was {Clip(old.Name)} <{Clip(old.Email)}>, the file says {Clip(r.Name)} <{Clip(r.Email)}>. " +
                "If the id now belongs to someone else, the old person's completions pass to them.");
        }
    }

    /// <summary>The file's team names that have no row yet, each once (names compare case-insensitively).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static List<string> NewTeams(List<Row> rows, Dictionary<string, Team> teamByName)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var names = new List<string>();
        string? last = null;
        foreach (var r in rows)
        {
            // Rows of one team tend to come together: skip the hashing while the name repeats.
            if (r.Team == last) continue;
            last = r.Team;
            if (!teamByName.ContainsKey(r.Team) && seen.Add(r.Team)) names.Add(r.Team);
        }
        return names;
    }

    /// <summary>
    /// The file's titles that no alias maps and no engineer (active or not) holds yet: after the import the catalog lists
    /// them as unmapped titles. One per normalized title (what an alias maps), as the file first spells it; empty titles
    /// are not titles.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static List<string> NewUnmappedTitles(List<Row> rows, Dictionary<string, string> aliases, Dictionary<string, Existing> existing)
    {
        var unmapped = new Dictionary<string, string>(StringComparer.Ordinal);
        string? last = null;
        foreach (var r in rows)
        {
            if (r.NormalizedTitle == last) continue;
            last = r.NormalizedTitle;
            if (last.Length > 0 && !aliases.ContainsKey(last)) unmapped.TryAdd(last, r.Title);
        }
        if (unmapped.Count == 0) return [];
        // Engineers share a few hundred titles: normalize each distinct one once.
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in existing.Values) held.Add(e.Title);
        foreach (var title in held) unmapped.Remove(TitleNormalizer.Normalize(title));
        return [.. unmapped.Values];
    }

    /// <summary>In partial mode, engineers not in the file stay active, so their emails stay taken.</summary>
    private static void CheckEmailConflicts(List<Row> rows, IReadOnlySet<string> inFile, Dictionary<string, Existing> existing, ColumnMap map,
        List<ImportError> errors)
    {
        var taken = existing.Values.Where(e => e.Active && !inFile.Contains(e.EmployeeId))
            .GroupBy(e => e.Email, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().EmployeeId, StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            if (taken.TryGetValue(row.Email, out var other))
                errors.Add(new ImportError(row.Line, map.HeaderOf("email"), $"Email '{row.Email}' already belongs to active employee '{other}'."));
        }
    }

    /// <summary>After the import, every active engineer's (team, manager_email): the file's rows win over the database.</summary>
    /// <summary>
    /// A team's manager is its active members' most common manager_email (ties: alphabetical), over the roster as
    /// it will be after this import: the file's rows, plus (in partial mode) active engineers the file leaves alone.
    /// Keyed by team name, so new teams are inserted with their manager.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static Dictionary<string, string?> ManagersAfterImport(List<Row> rows, Dictionary<string, Existing> existing,
        IReadOnlySet<string> inFile, Dictionary<int, Team> teamById, bool full)
    {
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.OrdinalIgnoreCase);
        // Called for every row: optimised from the first call, like its caller.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        void Count(string team, string? manager)
        {
            if (manager is null) return;
            if (!counts.TryGetValue(team, out var perManager)) counts[team] = perManager = new Dictionary<string, int>(StringComparer.Ordinal);
            System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(perManager, manager, out _)++;
        }
        foreach (var r in rows) Count(r.Team, r.ManagerEmail);
        if (!full)
        {
            foreach (var e in existing.Values)
            {
                if (e.Active && !inFile.Contains(e.EmployeeId) && teamById.TryGetValue(e.TeamId, out var t)) Count(t.Name, e.ManagerEmail);
            }
        }
        var managers = new Dictionary<string, string?>(counts.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (team, perManager) in counts)
        {
            var best = perManager.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal).First();
            managers[team] = best.Key;
        }
        return managers;
    }

    /// <summary>Existing teams whose manager changed (teams that lost every active member have none now). On PostgreSQL
    /// in one statement: a roster that moves thousands of teams to new managers costs a round trip each otherwise.</summary>
    private static async Task UpdateTeamManagersAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction tx,
        Dictionary<string, string?> managers, IEnumerable<Team> existingTeams, CancellationToken ct)
    {
        var changed = new List<(int Id, string? Manager)>();
        foreach (var team in existingTeams)
        {
            var manager = managers.GetValueOrDefault(team.Name);
            if (team.ManagerEmail != manager) changed.Add((team.Id, manager));
        }
        if (changed.Count == 0) return;
        if (tx.GetDbTransaction().Connection is Npgsql.NpgsqlConnection)
        {
            await using var all = ImportSupport.Command(tx,
                "UPDATE teams SET manager_email = m.manager FROM unnest(@ids, @managers) AS m(id, manager) WHERE teams.id = m.id", "ids", "managers");
            all.Parameters["@ids"].Value = changed.Select(c => c.Id).ToArray();
            all.Parameters["@managers"].Value = changed.Select(c => c.Manager).ToArray();
            await all.ExecuteNonQueryAsync(ct);
            return;
        }
        await using var update = ImportSupport.Command(tx, "UPDATE teams SET manager_email = @manager WHERE id = @id", "manager", "id");
        ImportSupport.Prepare(update);
        foreach (var (id, manager) in changed)
        {
            update.Parameters["@manager"].Value = ImportSupport.Db(manager);
            update.Parameters["@id"].Value = id;
            await update.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>The first <see cref="ImportChanges.Kept"/> of each list, by employee id (<paramref name="created"/> comes sorted): who,
    /// and what changes for them.</summary>
    private static ImportChanges Describe(List<Row> created, List<(Row Row, Existing Old)> updated, List<Existing> deactivate,
        Dictionary<int, Team> teamById, Dictionary<string, Team> teamByName)
    {
        string TeamName(int id) => teamById.TryGetValue(id, out var t) ? t.Name : "";
        static string Was(string what, string? before, string? after) => $"{what} {(string.IsNullOrEmpty(before) ? "(none)" : before)} → {(string.IsNullOrEmpty(after) ? "(none)" : after)}";
        return new ImportChanges(
            created.Take(ImportChanges.Kept)
                .Select(r => new ImportChange(r.EmployeeId, r.Name, $"{r.Title}, {r.Team}")).ToList(),
            updated.OrderBy(u => u.Row.EmployeeId, StringComparer.Ordinal).Take(ImportChanges.Kept).Select(u =>
            {
                var (r, old) = u;
                var what = new List<string>();
                if (!old.Active) what.Add("reactivated");
                if (!SameTeam(r, old, teamByName)) what.Add(Was("team", TeamName(old.TeamId), r.Team));
                if (old.Title != r.Title) what.Add(Was("title", old.Title, r.Title));
                if (old.Name != r.Name) what.Add(Was("name", old.Name, r.Name));
                if (old.Email != r.Email) what.Add(Was("email", old.Email, r.Email));
                if (old.ManagerEmail != r.ManagerEmail) what.Add(Was("manager", old.ManagerEmail, r.ManagerEmail));
                return new ImportChange(r.EmployeeId, r.Name, string.Join("; ", what));
            }).ToList(),
            deactivate.OrderBy(e => e.EmployeeId, StringComparer.Ordinal).Take(ImportChanges.Kept)
                .Select(e => new ImportChange(e.EmployeeId, e.Name, TeamName(e.TeamId))).ToList());
    }

    internal static string Clip(string value) => value.Length <= 80 ? value : value[..77] + "...";
}
