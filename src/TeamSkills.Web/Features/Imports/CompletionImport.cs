using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Data;
using TeamSkills.Core.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Imports;

/// <summary>
/// Completion import: every row must name a known engineer (employee_id or email) and certification with ISO
/// dates; then all rows are applied in one transaction, or none. Records are history: a new completion date adds
/// a record, the same engineer, certification and date again is unchanged (or updated when its expiry differs).
/// </summary>
public sealed class CompletionImport(TeamSkillsDbContext db, OrgClock clock, Audit.AuditLog audit, IOptions<ImportOptions> options,
    IImportProgress progressSink, ILogger<CompletionImport> log,
    Live.GapChanges live)
{
    public static readonly ColumnSpec[] Columns =
    [
        new("employee_id", false, "employee id", "employee number", "employee no", "emp id"),
        new("email", false, "work email", "e-mail", "email address", "work e-mail"),
        new("certification", true, "certification name", "certificate", "cert", "certification id"),
        new("earned_on", true, "earned", "earned date", "completed on", "completion date", "date earned"),
        new("expires_on", false, "expires", "expiry", "expiry date", "expiration date", "valid until"),
    ];

    /// <summary>The first <see cref="ImportChanges.Kept"/> completions added and updated, by employee id, certification and
    /// date: whose, which, and the dates (the preview and the history list them, as a roster import's list engineers).</summary>
    private static ImportChanges Describe(List<(Row Row, DateOnly Expires, bool Derived)> inserts, List<(Row Row, DateOnly Was, DateOnly Expires)> updated,
        Dictionary<int, (string EmployeeId, string Name)> who, Dictionary<string, Certification> certById)
    {
        ImportChange Change(Row r, string detail) => new(who[r.EngineerId].EmployeeId, who[r.EngineerId].Name,
            $"{certById[r.CertificationId].Name}: {detail}");
        IEnumerable<T> Ordered<T>(IEnumerable<T> items, Func<T, Row> row) => items
            .OrderBy(x => who[row(x).EngineerId].EmployeeId, StringComparer.Ordinal)
            .ThenBy(x => row(x).CertificationId, StringComparer.Ordinal).ThenBy(x => row(x).EarnedOn);
        return new ImportChanges(
            Ordered(inserts, x => x.Row).Take(ImportChanges.Kept)
                .Select(x => Change(x.Row, $"earned {x.Row.EarnedOn:yyyy-MM-dd}, expires {x.Expires:yyyy-MM-dd}{(x.Derived ? " (from the catalog's validity)" : "")}")).ToList(),
            Ordered(updated, x => x.Row).Take(ImportChanges.Kept)
                .Select(x => Change(x.Row, $"earned {x.Row.EarnedOn:yyyy-MM-dd}, expiry {x.Was:yyyy-MM-dd} → {x.Expires:yyyy-MM-dd}")).ToList(),
            []);
    }

    /// <summary>An earned_on further back than this many years is imported with a warning (1900-01-01 and the like).</summary>
    public const int PlaceholderYears = 20;

    public sealed record Row(int Line, int EngineerId, string CertificationId, DateOnly EarnedOn, DateOnly? ExpiresOn);

    private sealed record Key(int EngineerId, string CertificationId, DateOnly EarnedOn);

    public Task<ImportOutcomeResult> ExecuteAsync(ImportRequest req, CancellationToken ct) =>
        ImportProgressReporter.TrackAsync(progressSink, log, req, "completions", progress => ImportAsync(req, progress, ct));

    private async Task<ImportOutcomeResult> ImportAsync(ImportRequest req, ImportProgressReporter progress, CancellationToken ct)
    {
        var now = clock.Now;
        var file = ImportSupport.CompressInBackground(req);
        var (table, problem) = TabularFile.Read(req.Content, ImportSupport.Limits(options.Value));
        if (problem is not null) return await ImportSupport.RejectFileAsync(db, audit, ImportKind.Completions, req, problem, file, now, ct);

        var errors = new List<ImportError>();
        var map = ColumnMap.Resolve(table!.Header, table.HeaderLine, Columns, errors);
        if (errors.Count == 0 && !map.Has("employee_id") && !map.Has("email"))
            errors.Add(new ImportError(table.HeaderLine, "employee_id", "Missing column: give employee_id or email to say whose completion it is."));

        // The write transaction takes the writer lock before the current data is read (BeginWriteTransactionAsync):
        // validation and diff see exactly the data they will be applied to.
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var certs = await db.Certifications.AsNoTracking().ToListAsync(ct);
        var matcher = new CertificationNameMatcher(certs);
        var certById = certs.ToDictionary(c => c.Id, StringComparer.Ordinal);
        var rows = new List<Row>();
        var warnings = new ImportWarnings();
        var who = new Dictionary<int, (string EmployeeId, string Name)>();
        if (errors.Count == 0)
        {
            var engineers = await db.Engineers.AsNoTracking().Select(e => new { e.Id, e.EmployeeId, e.Email, e.Active, e.Name }).ToListAsync(ct);
            foreach (var e in engineers) who[e.Id] = (e.EmployeeId, e.Name);
            var byEmployeeId = engineers.ToDictionary(e => e.EmployeeId, e => e.Id, StringComparer.Ordinal);
            // An email can return after a rehire under a new id: the active engineer wins; two active ones are ambiguous.
            // Emails compare in NFC, as the roster import stores them (one stored before it did may be decomposed).
            var byEmail = engineers.GroupBy(e => ImportSupport.Nfc(e.Email), StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key,
                g => g.Count(e => e.Active) switch { 1 => g.Single(e => e.Active).Id, 0 when g.Count() == 1 => g.Single().Id, _ => -1 },
                StringComparer.OrdinalIgnoreCase);
            rows = Validate(table, map, clock.Today, matcher, byEmployeeId, byEmail, errors, warnings, progress);
            if (errors.Count == 0 && rows.Count == 0)
                errors.Add(new ImportError(table.HeaderLine, "", "The file has a header but no data rows."));
        }

        var format = table.Format;
        var record = ImportSupport.NewRecord(ImportKind.Completions, req, format, now, await file);
        errors.Sort((a, b) => a.Line != b.Line ? a.Line.CompareTo(b.Line) : string.CompareOrdinal(a.Column, b.Column));
        if (errors.Count > 0)
        {
            var response = new ImportResponse(null, false, req.DryRun, req.Mode, format, table.Rows.Count, 0, 0, 0, 0, errors,
                ImportSupport.RejectedMessage(errors.Count));
            ImportSupport.Fill(record, ImportOutcome.Rejected, response);
            return new(422, response with { ImportId = await ImportSupport.RecordOnlyAsync(db, record, audit, ct) });
        }

        var engineerIds = rows.Select(r => r.EngineerId).ToHashSet();
        var existing = (await db.Completions.AsNoTracking()
                .Select(c => new { c.Id, c.EngineerId, c.CertificationId, c.EarnedOn, c.ExpiresOn, c.ExpiryDerived })
                .ToListAsync(ct))
            .Where(c => engineerIds.Contains(c.EngineerId))
            .ToList();
        var existingByKey = existing.ToDictionary(c => new Key(c.EngineerId, c.CertificationId, c.EarnedOn));
        var history = existing.GroupBy(c => (c.EngineerId, c.CertificationId))
            .ToDictionary(g => g.Key, g => g.Select(c => (c.EarnedOn, c.ExpiresOn)).ToList());

        var inserts = new List<(Row Row, DateOnly Expires, bool Derived)>();
        var updates = new List<(long Id, DateOnly Expires, bool Derived)>();
        var updated = new List<(Row Row, DateOnly Was, DateOnly Expires)>();
        var unchanged = 0;
        foreach (var row in rows.OrderBy(r => r.EarnedOn))
        {
            var cert = certById[row.CertificationId];
            var past = history.TryGetValue((row.EngineerId, row.CertificationId), out var list) ? list : history[(row.EngineerId, row.CertificationId)] = [];
            var previous = past.Where(h => h.EarnedOn < row.EarnedOn).Select(h => (DateOnly?)h.ExpiresOn).Max();
            var expires = row.ExpiresOn ?? ExpiryRules.DeriveExpiry(row.EarnedOn, cert.ValidityMonths, cert.RenewalBase, previous);
            var derived = row.ExpiresOn is null;
            if (existingByKey.TryGetValue(new Key(row.EngineerId, row.CertificationId, row.EarnedOn), out var old))
            {
                // A row without expires_on never overwrites an expiry someone recorded explicitly.
                if (old.ExpiresOn == expires || (derived && !old.ExpiryDerived)) unchanged++;
                else
                {
                    updates.Add((old.Id, expires, derived));
                    updated.Add((row, old.ExpiresOn, expires));
                    var i = past.FindIndex(h => h.EarnedOn == row.EarnedOn);
                    if (i >= 0) past[i] = (row.EarnedOn, expires);
                }
            }
            else
            {
                inserts.Add((row, expires, derived));
                past.Add((row.EarnedOn, expires));
            }
        }

        record.ChangesJson = (Describe(inserts, updated, who, certById) with { Warnings = warnings.Kept, WarningCount = warnings.Count }).ToJson();
        var changes = inserts.Count + updates.Count;
        var message = changes == 0
            ? "No changes: every completion in this file is already recorded."
            : req.DryRun
                ? $"Would add {inserts.Count} {(inserts.Count == 1 ? "completion" : "completions")}, update {updates.Count}; {unchanged} already recorded."
                : $"Added {inserts.Count} {(inserts.Count == 1 ? "completion" : "completions")}, updated {updates.Count}; {unchanged} already recorded.";
        var summary = new ImportResponse(null, !req.DryRun && changes > 0, req.DryRun, req.Mode, format, rows.Count,
            inserts.Count, updates.Count, 0, unchanged, [], message) { Warnings = warnings.Kept, WarningCount = warnings.Count };
        if (req.DryRun || changes == 0)
        {
            ImportSupport.Fill(record, req.DryRun ? ImportOutcome.DryRun : ImportOutcome.Unchanged, summary);
            return new(200, summary with { ImportId = await ImportSupport.RecordOnlyAsync(db, record, audit, ct) });
        }

        progress.Writing();
        ImportSupport.Fill(record, ImportOutcome.Applied, summary);
        db.Imports.Add(record);
        await db.SaveChangesAsync(ct);
        // In key order, the unique (engineer, certification, earned_on) index only grows at its end.
        inserts.Sort((a, b) => a.Row.EngineerId != b.Row.EngineerId ? a.Row.EngineerId.CompareTo(b.Row.EngineerId)
            : string.CompareOrdinal(a.Row.CertificationId, b.Row.CertificationId) is var c and not 0 ? c : a.Row.EarnedOn.CompareTo(b.Row.EarnedOn));
        await ImportSupport.BulkInsertAsync(tx, "completions",
            ["engineer_id", "certification_id", "earned_on", "expires_on", "expiry_derived", "recorded_by"],
            inserts, (x, v) =>
            {
                v[0] = x.Row.EngineerId; v[1] = x.Row.CertificationId; v[2] = x.Row.EarnedOn; v[3] = x.Expires;
                v[4] = x.Derived; v[5] = req.ImportedBy;
            },
            new Dictionary<string, object> { ["import_id"] = record.Id, ["recorded_at"] = now.UtcTicks }, ct, log);
        await using (var update = ImportSupport.Command(tx,
            "UPDATE completions SET expires_on = @expires_on, expiry_derived = @expiry_derived WHERE id = @id", "expires_on", "expiry_derived", "id"))
        {
            ImportSupport.Prepare(update);
            foreach (var (id, expires, derived) in updates)
            {
                update.Parameters["@id"].Value = id;
                update.Parameters["@expires_on"].Value = expires;
                update.Parameters["@expiry_derived"].Value = derived;
                update.ExecuteNonQuery();
            }
        }
        await db.BumpDataVersionAsync(ct);
        audit.Import(record);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        db.ChangeTracker.Clear();
        live.Publish(Live.DataChange.Everything("completion-import"));
        log.LogInformation("Completion import {ImportId} by {User}: {Created} added, {Updated} updated, {Unchanged} unchanged",
            record.Id, req.ImportedBy, inserts.Count, updates.Count, unchanged);
        return new(200, summary with { ImportId = record.Id });
    }

    // Runs once per import over every row: optimise at first call instead of starting in tier-0 code.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static List<Row> Validate(TabularTable table, ColumnMap map, DateOnly today, CertificationNameMatcher matcher,
        Dictionary<string, int> byEmployeeId, Dictionary<string, int> byEmail, List<ImportError> errors, ImportWarnings warnings,
        ImportProgressReporter progress)
    {
        var longAgo = today.AddYears(-PlaceholderYears);
        var rows = new List<Row>(table.Rows.Count);
        var seen = new Dictionary<Key, int>();
        var step = progress.StartValidating(table.Rows.Count);
        int done = 0, nextReport = step;
        foreach (var raw in table.Rows)
        {
            if (++done == nextReport)
            {
                progress.Validating(done);
                nextReport += step;
            }
            var before = errors.Count;
            var line = raw.Line;
            var employeeId = map.Get(raw.Cells, "employee_id");
            var email = ImportSupport.Nfc(map.Get(raw.Cells, "email"));
            var certText = map.Get(raw.Cells, "certification");
            var earnedText = map.Get(raw.Cells, "earned_on");
            var expiresText = map.Get(raw.Cells, "expires_on");

            var engineerId = -1;
            if (employeeId.Length > 0)
            {
                if (!byEmployeeId.TryGetValue(employeeId, out engineerId))
                {
                    errors.Add(new ImportError(line, map.HeaderOf("employee_id"), $"Unknown engineer: no employee_id '{RosterImport.Clip(employeeId)}' in the roster."));
                    engineerId = -1;
                }
            }
            else if (email.Length > 0)
            {
                if (!byEmail.TryGetValue(email, out engineerId))
                {
                    errors.Add(new ImportError(line, map.HeaderOf("email"), $"Unknown engineer: no engineer with email '{RosterImport.Clip(email)}' in the roster."));
                    engineerId = -1;
                }
                else if (engineerId < 0)
                    errors.Add(new ImportError(line, map.HeaderOf("email"), $"Email '{RosterImport.Clip(email)}' belongs to several engineers; use employee_id."));
            }
            else
            {
                errors.Add(new ImportError(line, map.Has("employee_id") ? map.HeaderOf("employee_id") : map.HeaderOf("email"),
                    "employee_id or email is required."));
            }

            var certId = matcher.Match(certText);
            if (certText.Length == 0) errors.Add(new ImportError(line, map.HeaderOf("certification"), "certification is required."));
            else if (certId is null) errors.Add(new ImportError(line, map.HeaderOf("certification"), $"Unknown certification '{RosterImport.Clip(certText)}'."));

            var earned = ParseDate(earnedText);
            if (earnedText.Length == 0) errors.Add(new ImportError(line, map.HeaderOf("earned_on"), "earned_on is required."));
            else if (earned is null) errors.Add(new ImportError(line, map.HeaderOf("earned_on"), $"earned_on '{RosterImport.Clip(earnedText)}' is not a date; use YYYY-MM-DD."));
            else if (earned > today) errors.Add(new ImportError(line, map.HeaderOf("earned_on"), $"earned_on {earned:yyyy-MM-dd} is in the future."));

            DateOnly? expires = null;
            if (expiresText.Length > 0)
            {
                expires = ParseDate(expiresText);
                if (expires is null) errors.Add(new ImportError(line, map.HeaderOf("expires_on"), $"expires_on '{RosterImport.Clip(expiresText)}' is not a date; use YYYY-MM-DD."));
                else if (earned is not null && expires <= earned) errors.Add(new ImportError(line, map.HeaderOf("expires_on"), $"expires_on {expires:yyyy-MM-dd} is not after earned_on {earned:yyyy-MM-dd}."));
            }

            if (errors.Count != before) continue;
            var key = new Key(engineerId, certId!, earned!.Value);
            if (!seen.TryAdd(key, line))
            {
                errors.Add(new ImportError(line, map.HeaderOf("certification"), $"Duplicate of line {seen[key]} (same engineer, certification and earned_on)."));
                continue;
            }
            if (earned.Value < longAgo)
                warnings.Add(line, map.HeaderOf("earned_on"),
                    $"earned_on {earned:yyyy-MM-dd} is more than {PlaceholderYears} years ago: check it is the real date, not a placeholder.");
            rows.Add(new Row(line, engineerId, certId!, earned.Value, expires));
        }
        return rows;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static DateOnly? ParseDate(string text) =>
        DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
}
