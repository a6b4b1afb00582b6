using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using ClosedXML.Excel;
using Microsoft.Extensions.DependencyInjection;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Imports;

namespace TeamSkills.Tests.Integration;

public sealed class ImportApiTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider)
        .With("TeamSkills:Imports:MaxUploadBytes", "1048576")
        .With("TeamSkills:Imports:MaxInflatedBytes", "16777216")
        .StartedAsync();

    private static async Task<JsonElement> ImportRoster(AppFactory app, string csv, HttpStatusCode expected = HttpStatusCode.OK, string query = "")
    {
        var response = await app.Api().UploadCsv("/api/imports/roster" + query, csv);
        var body = await response.JsonOf();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return body;
    }

    private static List<(int Line, string? Column, string Message)> Errors(JsonElement body) => body.GetProperty("errors").EnumerateArray()
        .Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetString(), e.GetProperty("message").GetString()!))
        .ToList();

    /// <summary>A fingerprint of everything an import may change.</summary>
    private static string Fingerprint(AppFactory app) => string.Join("|",
        app.Scalar("SELECT COUNT(*) FROM engineers"),
        app.Scalar("SELECT COUNT(*) FROM engineers WHERE active = TRUE"),
        app.Scalar("SELECT COUNT(*) FROM teams"),
        app.Scalar("SELECT COUNT(*) FROM completions"),
        app.Scalar("SELECT COALESCE(SUM(LENGTH(name) + LENGTH(email) + LENGTH(title) + team_id), 0) FROM engineers"),
        app.Scalar("SELECT value FROM app_state WHERE key = 'data_version'"));

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_CreatesEngineersAndTeams_AndAnswersTheContractFields(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var body = await ImportRoster(app, Data.Roster());
        Assert.True(body.GetProperty("importId").GetInt64() > 0);
        Assert.True(body.GetProperty("applied").GetBoolean());
        Assert.Equal(5, body.GetProperty("created").GetInt32());
        Assert.Equal(0, body.GetProperty("updated").GetInt32());
        Assert.Equal(0, body.GetProperty("deactivated").GetInt32());
        Assert.Equal(0, body.GetProperty("unchanged").GetInt32());
        Assert.Equal(0, body.GetProperty("errors").GetArrayLength());
        Assert.Equal(5, app.Scalar("SELECT COUNT(*) FROM engineers WHERE active = TRUE"));
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM teams"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM engineers WHERE role_id IS NULL"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_LargeLoad_ThroughTheBulkPath_StaysConsistent(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        // 12,000 rows through the bulk path (SQLite: 32-row statements with a remainder; PostgreSQL: binary COPY):
        // every row lands once, indexes and integrity intact. The checks are each provider's own tools.
        var indexSql = provider == DatabaseProvider.Sqlite
            ? "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('engineers', 'teams')"
            : "SELECT COUNT(*) FROM pg_indexes WHERE tablename IN ('engineers', 'teams')";
        var indexesBefore = app.Scalar(indexSql);
        var csv = new StringBuilder(Data.RosterHeader + "\n");
        for (var i = 0; i < 12_000; i++) csv.Append($"B{i:D5},Person {i},p{i}@example.com,Team {i % 40},m{i % 40}@example.com,Data Engineer\n");
        await using var big = new AppFactory(provider);
        var api = big.Api();
        var first = await (await api.UploadCsv("/api/imports/roster", csv.ToString())).JsonOf();
        Assert.Equal(12_000, first.GetProperty("created").GetInt32());
        Assert.Equal(indexesBefore, big.Scalar(indexSql));
        if (provider == DatabaseProvider.Sqlite)
        {
            Assert.Equal(12_000, big.Scalar("SELECT COUNT(*) FROM engineers INDEXED BY IX_engineers_employee_id WHERE employee_id >= ''"));
            Assert.Equal("ok", big.Scalar("SELECT CASE WHEN (SELECT integrity_check FROM pragma_integrity_check) = 'ok' THEN 1 ELSE 0 END") == 1 ? "ok" : "corrupt");
        }
        else
        {
            // amcheck with heapallindexed: every row is found through every index, and each B-tree's invariants hold
            // (it raises an error otherwise); and no index was left invalid.
            Assert.Equal(12_000, big.Scalar("SELECT COUNT(*) FROM engineers WHERE employee_id >= ''"));
            Assert.Equal(0, big.Scalar("SELECT COUNT(*) FROM pg_index WHERE indrelid IN ('engineers'::regclass, 'teams'::regclass) AND NOT indisvalid"));
            using var conn = big.OpenConnection();
            using var check = conn.CreateCommand();
            check.CommandText = "CREATE EXTENSION IF NOT EXISTS amcheck; SELECT COUNT(*) FROM (SELECT bt_index_check(indexrelid, true) " +
                "FROM pg_index WHERE indrelid IN ('engineers'::regclass, 'teams'::regclass)) AS checked";
            Assert.Equal(indexesBefore, Convert.ToInt64(check.ExecuteScalar()));
        }
        var again = await (await api.UploadCsv("/api/imports/roster", csv.ToString())).JsonOf();
        Assert.Equal(12_000, again.GetProperty("unchanged").GetInt32());
        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        Assert.Equal(40, teams.GetArrayLength());
        Assert.All(teams.EnumerateArray(), t => Assert.Equal(300, t.GetProperty("engineerCount").GetInt32()));
    }

    [SkippableTheory, DatabaseData]
    public async Task FullRoster_ThatDeactivatesMoreThanItKeeps_WarnsInTheApi_PreviewAndApplied_WithThePagesWords(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var one = Data.Lines(Data.RosterHeader, "E1,Ann Archer,ann@example.com,Platform,mia@example.com,Senior Site Reliability Engineer");

        var preview = await ImportRoster(app, one, query: "?dryRun=true");
        Assert.Equal(4, preview.GetProperty("deactivated").GetInt32());
        var expected = "Full mode deactivates everyone missing from the file, and this file would deactivate more engineers (4) than it keeps (1). " +
            "If it lists only some of the organisation, preview it again in partial mode, which only adds and updates.";
        Assert.Contains(expected, preview.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("message").GetString()));
        Assert.Equal(1, preview.GetProperty("warningCount").GetInt32());
        // The import's page says the same words.
        var page = System.Net.WebUtility.HtmlDecode(await (await app.SignedInAdminAsync()).GetStringAsync($"/imports/{preview.GetProperty("importId").GetInt64()}"));
        Assert.Contains(expected, page);

        // Partial mode deactivates nobody: no warning.
        Assert.Equal(0, (await ImportRoster(app, one, query: "?dryRun=true&mode=partial")).GetProperty("warningCount").GetInt32());

        var applied = await ImportRoster(app, one);
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Contains(applied.GetProperty("warnings").EnumerateArray().Select(w => w.GetProperty("message").GetString()),
            m => m!.StartsWith("Full mode deactivates everyone missing from the file, and this file deactivated more engineers (4) than it kept (1).", StringComparison.Ordinal));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_AnIdWhoseNameAndEmailBothChange_WarnsItLooksLikeADifferentPerson(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var csv = Data.Roster()
            .Replace("E1,Ann Archer,ann@example.com,", "E1,Zoe Zimmer,zoe@example.com,")        // both: another person
            .Replace("E2,Bob Baker,bob@example.com,", "E2,Bob Baker-Smith,bob@example.com,")     // the name only: a rename
            .Replace("E3,Cat Cole,cat@example.com,", "E3,Cat Cole,cat.cole@example.com,");       // the email only
        var body = await ImportRoster(app, csv, query: "?dryRun=true");
        Assert.Equal(3, body.GetProperty("updated").GetInt32());
        var warning = Assert.Single(body.GetProperty("warnings").EnumerateArray());
        Assert.Equal(2, warning.GetProperty("line").GetInt32());
        Assert.Equal("employee_id", warning.GetProperty("column").GetString());
        Assert.StartsWith("Looks like a different person: E1 was Ann Archer <ann@example.com>, the file says Zoe Zimmer <zoe@example.com>.",
            warning.GetProperty("message").GetString());
        Assert.Equal(1, body.GetProperty("warningCount").GetInt32());
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_SameFileTwice_ChangesNothingAndSaysSo(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var again = await ImportRoster(app, Data.Roster());
        Assert.False(again.GetProperty("applied").GetBoolean());
        Assert.Equal(5, again.GetProperty("unchanged").GetInt32());
        Assert.Equal(0, again.GetProperty("created").GetInt32() + again.GetProperty("updated").GetInt32());
        Assert.Contains("No changes", again.GetProperty("message").GetString());
        Assert.Equal(before, Fingerprint(app));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_EmployeeIdsDifferingInCase_AreTwoEngineers_OnEveryProvider(DatabaseProvider provider)
    {
        // The app matches employee ids ordinally; the column must compare the same way (PostgreSQL: COLLATE "C"; SQL
        // Server: a BIN2 collation, checked in MigrationConsistencyTests), so the database neither merges nor refuses them.
        await using var app = await StartAsync(provider);
        var csv = Data.Roster("e1,Erin East,erin@example.com,Platform,mia@example.com,Platform Engineer II");
        var body = await ImportRoster(app, csv);
        Assert.Equal(6, body.GetProperty("created").GetInt32());
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM engineers WHERE employee_id IN ('E1', 'e1')"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM engineers WHERE employee_id = 'e1' AND name = 'Erin East'"));
        Assert.Equal(6, (await ImportRoster(app, csv)).GetProperty("unchanged").GetInt32());
        if (provider == DatabaseProvider.PostgreSql)
            Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'engineers' AND column_name = 'employee_id' AND collation_name = 'C'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Imports_DecomposedUnicode_IsTheSameTextAsComposed(DatabaseProvider provider)
    {
        // macOS tools write 'é' as 'e' + U+0301 (NFD); Windows and most HR systems write U+00E9 (NFC).
        static string Nfd(string s) => s.Normalize(NormalizationForm.FormD);
        const string chloe = "E6,Chlo\u00E9 Durand,chlo\u00E9@example.com,R\u00E9seau,zo\u00E9@example.com,Ing\u00E9nieure R\u00E9seau";
        const string renee = "E7,Ren\u00E9e Roux,ren\u00E9e@example.com,R\u00E9seau,zo\u00E9@example.com,Ing\u00E9nieure R\u00E9seau";
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        // A team an import made before names were normalized, stored decomposed.
        using (var conn = app.OpenConnection())
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = $"INSERT INTO teams (name) VALUES ('{Nfd("R\u00E9seau")}')";
            cmd.ExecuteNonQuery();
        }
        var reseau = app.Scalar($"SELECT id FROM teams WHERE name = '{Nfd("R\u00E9seau")}'");

        // One row composed, one decomposed: one team, the one already there; text stored composed.
        var roster = Data.Roster(chloe, Nfd(renee));
        Assert.Equal(2, (await ImportRoster(app, roster)).GetProperty("created").GetInt32());
        Assert.Equal(3, app.Scalar("SELECT COUNT(*) FROM teams"));
        Assert.Equal(2, app.Scalar($"SELECT COUNT(*) FROM engineers WHERE team_id = {reseau}"));
        Assert.Equal(1, app.Scalar($"SELECT COUNT(*) FROM teams WHERE id = {reseau} AND manager_email = 'zo\u00E9@example.com'"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM engineers WHERE employee_id = 'E7' AND name = 'Ren\u00E9e Roux' " +
            "AND email = 'ren\u00E9e@example.com' AND manager_email = 'zo\u00E9@example.com' AND title = 'Ing\u00E9nieure R\u00E9seau'"));

        // The same roster as a Mac tool exports it changes nothing.
        var again = await ImportRoster(app, Nfd(roster));
        Assert.Equal((0, 0, 7), (again.GetProperty("created").GetInt32(), again.GetProperty("updated").GetInt32(), again.GetProperty("unchanged").GetInt32()));
        Assert.Contains("No changes", again.GetProperty("message").GetString());

        // Completions find engineers by email either way, also one stored decomposed before emails were normalized.
        using (var conn = app.OpenConnection())
        using (var cmd = conn.CreateCommand())
        {
            cmd.CommandText = $"UPDATE engineers SET email = '{Nfd("ren\u00E9e@example.com")}' WHERE employee_id = 'E7'";
            cmd.ExecuteNonQuery();
        }
        var completions = await (await app.Api().UploadCsv("/api/imports/completions", Data.Lines("email,certification,earned_on",
            Nfd("chlo\u00E9@example.com,aiops-foundation,2025-01-01"), "ren\u00E9e@example.com,aiops-foundation,2025-01-01"), "c.csv")).JsonOf();
        Assert.True(completions.TryGetProperty("created", out _), completions.ToString());
        Assert.Equal(2, completions.GetProperty("created").GetInt32());
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM completions c JOIN engineers e ON e.id = c.engineer_id WHERE e.employee_id IN ('E6', 'E7')"));
    }

    /// <summary>
    /// Runs an import straight through its handler, each in its own scope, all at once: past the per-process gate the
    /// HTTP endpoints share, as imports arriving at two app instances on one database are. The database alone must
    /// order them.
    /// </summary>
    private static Task<ImportOutcomeResult[]> ImportAllAtOnce<THandler>(AppFactory app, int count, string mode, string csv)
        where THandler : notnull =>
        Task.WhenAll(Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await using var scope = app.Services.CreateAsyncScope();
            var handler = (dynamic)scope.ServiceProvider.GetRequiredService<THandler>();
            return (ImportOutcomeResult)await handler.ExecuteAsync(
                new ImportRequest(Data.Utf8(csv), $"upload-{i}.csv", "text/csv", mode, false, $"instance-{i}"), CancellationToken.None);
        })));

    private static void AssertOneAppliedAndTheRestFoundItDone(ImportOutcomeResult[] results, int rows)
    {
        Assert.All(results, r => Assert.True(r.StatusCode == 200, $"{r.StatusCode}: {r.Response.Message}"));
        Assert.Equal(1, results.Count(r => r.Response.Applied));
        Assert.Equal(rows, results.Sum(r => r.Response.Created));
        Assert.Equal(rows * (results.Length - 1), results.Sum(r => r.Response.Unchanged));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_SeveralAtOnce_ApplyOneAfterTheOther_EachSeeingTheLast(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        // The same new roster uploaded four times at once (two admins, two instances): each import's diff is computed
        // against what the one before it wrote, so exactly one creates and the rest find nothing to do.
        var csv = new StringBuilder(Data.RosterHeader + "\n");
        for (var i = 0; i < 2000; i++) csv.Append($"C{i:D5},Person {i},p{i}@example.com,Team {i % 20},m{i % 20}@example.com,Data Engineer\n");
        var results = await ImportAllAtOnce<RosterImport>(app, 4, "full", csv.ToString());
        AssertOneAppliedAndTheRestFoundItDone(results, rows: 2000);
        Assert.Equal(2000, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(20, app.Scalar("SELECT COUNT(*) FROM teams"));
        Assert.Equal(4, app.Scalar("SELECT COUNT(*) FROM imports WHERE kind = 'Roster'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionImport_SeveralAtOnce_ApplyOneAfterTheOther_EachSeeingTheLast(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var roster = new StringBuilder(Data.RosterHeader + "\n");
        var completions = new StringBuilder("employee_id,certification,earned_on\n");
        for (var i = 0; i < 2000; i++)
        {
            roster.Append($"C{i:D5},Person {i},p{i}@example.com,Team {i % 20},m{i % 20}@example.com,Data Engineer\n");
            completions.Append($"C{i:D5},aiops-foundation,2025-01-{1 + i % 28:D2}\n");
        }
        Assert.Equal(200, (await ImportAllAtOnce<RosterImport>(app, 1, "full", roster.ToString())).Single().StatusCode);
        var results = await ImportAllAtOnce<CompletionImport>(app, 4, "partial", completions.ToString());
        AssertOneAppliedAndTheRestFoundItDone(results, rows: 2000);
        Assert.Equal(2000, app.Scalar("SELECT COUNT(*) FROM completions"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_DryRun_ReportsTheDiffWithoutApplying(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var changed = Data.Roster("E6,Fay Fox,fay@example.com,Data,max@example.com,Cloud Engineer")
            .Replace("Bob Baker", "Robert Baker")
            .Replace("E3,Cat Cole,cat@example.com,Platform,mia@example.com,Solutions Architect\n", "");
        var dry = await ImportRoster(app, changed, query: "?dryRun=true");
        Assert.False(dry.GetProperty("applied").GetBoolean());
        Assert.True(dry.GetProperty("dryRun").GetBoolean());
        Assert.Equal(1, dry.GetProperty("created").GetInt32());
        Assert.Equal(1, dry.GetProperty("updated").GetInt32());
        Assert.Equal(1, dry.GetProperty("deactivated").GetInt32());
        Assert.Equal(3, dry.GetProperty("unchanged").GetInt32());
        Assert.Equal(before, Fingerprint(app));

        var real = await ImportRoster(app, changed);
        Assert.True(real.GetProperty("applied").GetBoolean());
        Assert.Equal(1, real.GetProperty("deactivated").GetInt32());
        Assert.Equal(5, app.Scalar("SELECT COUNT(*) FROM engineers WHERE active = TRUE"));
        Assert.Equal(6, app.Scalar("SELECT COUNT(*) FROM engineers"));
        Assert.Equal(0, app.Scalar("SELECT active FROM engineers WHERE employee_id = 'E3'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_SaysWhichTeamsAndUnmappedTitlesItCreates_PreviewAndApplied(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster()); // Platform, Data; E3's Solutions Architect maps to no role
        static string Names(JsonElement body, string field) => string.Join(", ", body.GetProperty(field).EnumerateArray().Select(t => t.GetString()));
        static (string Teams, int TeamCount, string Titles, int TitleCount) Additions(JsonElement body) => (
            Names(body, "newTeams"), body.GetProperty("newTeamCount").GetInt32(), Names(body, "newUnmappedTitles"), body.GetProperty("newUnmappedTitleCount").GetInt32());
        var roster = Data.Roster(
            "E6,Fay Fox,fay@example.com,ML Infra,max@example.com,Prompt Whisperer",
            "E7,Gil Gray,gil@example.com,Data Platform,max@example.com,Senior Prompt Whisperer", // the same title to map
            "E8,Hal Hill,hal@example.com,data platform,max@example.com,Solutions Architect",      // the same team; a title E3 has
            "E9,Ida Ink,ida@example.com,Platform,mia@example.com,Vibes Officer",
            "E10,Jo Jay,jo@example.com,Data,max@example.com,Data Engineer",                        // mapped
            "E11,Kim Kay,kim@example.com,Data,max@example.com,");                                  // no title
        var expected = ("Data Platform, ML Infra", 2, "Prompt Whisperer, Vibes Officer", 2);

        var dry = await ImportRoster(app, roster, query: "?dryRun=true");
        Assert.Equal(expected, Additions(dry));
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM teams"));
        var applied = await ImportRoster(app, roster);
        Assert.True(applied.GetProperty("applied").GetBoolean());
        Assert.Equal(expected, Additions(applied));
        Assert.Equal(4, app.Scalar("SELECT COUNT(*) FROM teams"));
        // Now they exist: nothing new.
        Assert.Equal(("", 0, "", 0), Additions(await ImportRoster(app, roster, query: "?dryRun=true")));

        // At most 50 are listed, sorted; the count says how many.
        var many = Data.Roster(Enumerable.Range(0, 60).Select(i => $"M{i},Person {i},m{i}@example.com,Team {59 - i:D2},max@example.com,Title {i:D2}").ToArray());
        var (teams, teamCount, titles, titleCount) = Additions(await ImportRoster(app, many, query: "?dryRun=true&mode=partial"));
        Assert.Equal((60, 60), (teamCount, titleCount));
        Assert.Equal(string.Join(", ", Enumerable.Range(0, 50).Select(i => $"Team {i:D2}")), teams);
        Assert.Equal(string.Join(", ", Enumerable.Range(0, 50).Select(i => $"Title {i:D2}")), titles);

        // Not a roster: no such fields.
        var completions = await (await app.Api().UploadCsv("/api/imports/completions?dryRun=true",
            Data.Lines("employee_id,certification,earned_on", "E1,aiops-foundation,2025-01-01"), "c.csv")).JsonOf();
        Assert.True(completions.TryGetProperty("created", out _), completions.ToString());
        foreach (var field in new[] { "newTeams", "newTeamCount", "newUnmappedTitles", "newUnmappedTitleCount" })
            Assert.True(!completions.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null, field);
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_PartialMode_OnlyUpserts(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var partial = Data.Lines(Data.RosterHeader, "E9,Gil Gray,gil@example.com,Data,max@example.com,Data Engineer");
        var body = await ImportRoster(app, partial, query: "?mode=partial");
        Assert.Equal(1, body.GetProperty("created").GetInt32());
        Assert.Equal(0, body.GetProperty("deactivated").GetInt32());
        Assert.Equal(6, app.Scalar("SELECT COUNT(*) FROM engineers WHERE active = TRUE"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_ManagerMove_ChangesTheTeamsManager(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var moved = Data.Roster().Replace("Data,max@example.com", "Data,zoe@example.com");
        await ImportRoster(app, moved);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM teams WHERE name = 'Data' AND manager_email = 'zoe@example.com'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_HeadersAreMatchedLooselyWithSynonyms_AndSemicolonsAndBom(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var csv = "\uFEFFEmployee Number;Full Name;Work E-mail;Department;Manager;Job Title\r\n" +
                  "E1;\"Archer; Ann\";ANN@example.com;Platform;mia@example.com;SRE\r\n";
        var body = await ImportRoster(app, csv);
        Assert.Equal(1, body.GetProperty("created").GetInt32());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM engineers WHERE name = 'Archer; Ann' AND email = 'ann@example.com' AND role_id = 'sre'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_EveryRowErrorKind_Returns422WithLineAndColumn_AndChangesNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var longName = new string('x', 5000);
        var csv = Data.Lines(
            "Employee ID,Name,Email,Team,Manager Email,Title",
            "E1,Ann Archer,ann@example.com,Platform,mia@example.com,SRE",            // line 2: fine
            ",No Id,noid@example.com,Platform,mia@example.com,SRE",                  // line 3: employee_id required
            "E7,Bad Mail,not-an-email,Platform,mia@example.com,SRE",                  // line 4: invalid email
            "E1,Dup Id,dup@example.com,Platform,mia@example.com,SRE",                 // line 5: duplicate employee id
            "E8,Dup Mail,ANN@example.com,Platform,mia@example.com,SRE",               // line 6: duplicate email
            $"E9,{longName},long@example.com,Platform,mia@example.com,SRE",           // line 7: too long
            "E10,No Team,noteam@example.com,,mia@example.com,SRE",                    // line 8: team required
            "E11,Bad Manager,bm@example.com,Platform,boss at example,SRE");          // line 9: invalid manager email
        var response = await api.UploadCsv("/api/imports/roster", csv);
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await response.JsonOf();
        Assert.False(body.GetProperty("applied").GetBoolean());
        var errors = Errors(body);
        Assert.Contains(errors, e => e is { Line: 3, Column: "Employee ID" } && e.Message.Contains("required"));
        Assert.Contains(errors, e => e is { Line: 4, Column: "Email" } && e.Message.Contains("not a valid email"));
        Assert.Contains(errors, e => e is { Line: 5, Column: "Employee ID" } && e.Message.Contains("line 2"));
        Assert.Contains(errors, e => e is { Line: 6, Column: "Email" } && e.Message.Contains("Duplicate email"));
        Assert.Contains(errors, e => e is { Line: 7, Column: "Name" } && e.Message.Contains("at most 200"));
        Assert.Contains(errors, e => e is { Line: 8, Column: "Team" } && e.Message.Contains("required"));
        Assert.Contains(errors, e => e is { Line: 9, Column: "Manager Email" });
        Assert.Equal(7, errors.Count);
        Assert.Equal(before, Fingerprint(app));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM imports WHERE outcome = 'Rejected'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_ARowCutShort_IsReportedOnceAsTooFewFields_AndAnUnclosedQuoteNamesItsHeader(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var body = await ImportRoster(app, Data.Lines(Data.RosterHeader,
            "E1,Ann Archer,ann@example.com",                                            // line 2: team, manager and title not reached
            "E2,Bob Baker,bob@example.com,Platform,mia@example.com,Platform Engineer II"), (HttpStatusCode)422);
        var error = Assert.Single(Errors(body)); // not also "team is required" for the same missing commas
        Assert.Equal((2, "team"), (error.Line, error.Column));
        Assert.StartsWith("The row has 3 fields but the header has 6: team, manager_email, title would be empty", error.Message);

        var quoted = await ImportRoster(app, Data.Lines(Data.RosterHeader,
            "E1,Ann Archer,ann@example.com,Platform,mia@example.com,SRE",
            "E2,\"Bob Baker,bob@example.com,Platform,mia@example.com,SRE"), (HttpStatusCode)422);
        var unclosed = Assert.Single(Errors(quoted));
        Assert.Equal((3, "name"), (unclosed.Line, unclosed.Column));
        Assert.Contains("Line 3, field 2 (name): a quoted field is never closed", unclosed.Message);
    }

    [Fact]
    public async Task RosterImport_LargeEnoughToValidateInSlices_ReportsEveryRowsErrors_WithDuplicatesAcrossSlices()
    {
        // 24,000 rows: above the parallel threshold, so the rows' own checks run in slices and the duplicates are found
        // after, in file order. A bad email early, then at the end a repeat of the first row's id, a short row, and a
        // repeat of the short row's id: each reported on its line, naming the first line, and nothing imported.
        Assert.True(24_000 >= RosterImport.ParallelValidationRows);
        await using var app = new AppFactory();
        using var api = app.Api();
        var lines = Encoding.UTF8.GetString(FaultTests.LargeRoster(24_000, "P")).TrimEnd('\n').Split('\n').ToList();
        var first = lines[1].Split(',');
        lines[2] = string.Join(',', lines[2].Split(',') is var cells ? [cells[0], cells[1], "not-an-email", .. cells[3..]] : []);
        lines.Add($"{first[0]},Dup Person,dup.p@example.com,{first[3]},{first[4]},Data Engineer");
        lines.Add("P999998,Short Row");
        lines.Add($"P999998,Again,again@example.com,{first[3]},{first[4]},Data Engineer");

        var response = await api.Upload("/api/imports/roster", Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), "roster.csv");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var errors = (await response.JsonOf()).GetProperty("errors").EnumerateArray()
            .Select(e => $"{e.GetProperty("line").GetInt32()} {e.GetProperty("column").GetString()}: {e.GetProperty("message").GetString()}").ToList();
        Assert.Equal(4, errors.Count);
        Assert.Equal("3 email: 'not-an-email' is not a valid email address.", errors[0]);
        Assert.Equal($"24002 employee_id: Duplicate employee_id '{first[0]}' (first on line 2).", errors[1]);
        Assert.StartsWith("24003 email: The row has 2 fields but the header has 6", errors[2]);
        Assert.Equal("24004 employee_id: Duplicate employee_id 'P999998' (first on line 24003).", errors[3]);
        Assert.Equal(0L, app.Scalar("SELECT COUNT(*) FROM engineers"));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_MessyHrExportRows_AreRefusedWithTheReason_AndChangeNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var csv = Data.Lines(Data.RosterHeader,
            "E1,Ann Archer,ann@example.com,Platform",                                  // line 2: cut short (title, manager would be blanked)
            "E2\u200B,Bob Baker,bob@example.com,Platform,mia@example.com,Platform Engineer II", // line 3: a zero-width space in the id
            "E3,#N/A,cat@example.com,Platform,mia@example.com,Solutions Architect",     // line 4: a failed lookup exported as text
            "E4,Dan Dorn,dan@example.com,Data,max@example.com,#REF!",                   // line 5: a broken reference
            "E1,Ann Again,ann@example.com,Platform,mia@example.com,Solutions Architect"); // line 6: the cut-short row's id and email again
        var body = await ImportRoster(app, csv, (HttpStatusCode)422, "?mode=partial");
        var errors = Errors(body);
        // Reported now, not after line 2 is mended and the file sent again.
        Assert.Contains(errors, e => e is { Line: 6, Column: "employee_id" } && e.Message.Contains("Duplicate employee_id 'E1' (first on line 2)"));
        Assert.Contains(errors, e => e is { Line: 6, Column: "email" } && e.Message.Contains("Duplicate email 'ann@example.com' (first on line 2)"));
        Assert.Contains(errors, e => e is { Line: 2, Column: "manager_email" } && e.Message.Contains("The row has 4 fields but the header has 6: manager_email, title would be empty"));
        Assert.Contains(errors, e => e is { Line: 3, Column: "employee_id" } && e.Message.Contains("invisible character (U+200B) at position 3"));
        Assert.Contains(errors, e => e is { Line: 4, Column: "name" } && e.Message.Contains("spreadsheet error #N/A"));
        Assert.Contains(errors, e => e is { Line: 5, Column: "title" } && e.Message.Contains("spreadsheet error #REF!"));
        Assert.Equal(6, errors.Count);
        Assert.Equal(before, Fingerprint(app));

        // An .xlsx row ends at its last filled cell: that is not a cut-short row.
        using var wb = new XLWorkbook();
        var ws = wb.AddWorksheet("Roster");
        string[] header = ["employee_id", "name", "email", "team", "title", "manager_email"];
        for (var c = 0; c < header.Length; c++) ws.Cell(1, c + 1).Value = header[c];
        string[] row = ["E9", "Ivy Ives", "ivy@example.com", "Data", "Data Engineer"];
        for (var c = 0; c < row.Length; c++) ws.Cell(2, c + 1).Value = row[c];
        var xlsx = await app.Api().Upload("/api/imports/roster?mode=partial&dryRun=true", Save(wb), "roster.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        Assert.True(xlsx.StatusCode == HttpStatusCode.OK, await xlsx.Content.ReadAsStringAsync());
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_AHeaderNotOnTheFirstRow_IsExplained(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var body = await ImportRoster(app, "HR export 2026-11-01,,,,,\n" + Data.Roster(), (HttpStatusCode)422);
        var first = body.GetProperty("errors")[0];
        Assert.Equal(1, first.GetProperty("line").GetInt32());
        Assert.Contains("Line 1 is read as the header, and none of its columns is one this import knows ('HR export 2026-11-01')",
            first.GetProperty("message").GetString());
        Assert.Contains("The header must be the first non-empty row", first.GetProperty("message").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_ANewIdWithTheEmailOfSomeoneItDeactivates_IsAWarning(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        await ImportRoster(app, Data.Roster());
        // Ann's id changes from E1 to P-0001 (a new HR numbering): a full import would split her in two. Below her, 250
        // engineers who manage themselves: more warnings than are kept, found before hers, and still hers (line 2) is kept.
        var selfManaged = Enumerable.Range(1, 250).Select(i => $"S{i},Sam {i},s{i}@example.com,Solo,s{i}@example.com,SRE").ToArray();
        var body = await ImportRoster(app, Data.Roster(selfManaged).Replace("E1,Ann Archer", "P-0001,Ann Archer"), query: "?dryRun=true");
        Assert.Equal(251, body.GetProperty("created").GetInt32());
        Assert.Equal(1, body.GetProperty("deactivated").GetInt32());
        Assert.Equal(251, body.GetProperty("warningCount").GetInt32());
        Assert.Equal(ImportChanges.Kept, body.GetProperty("warnings").GetArrayLength());
        var warning = body.GetProperty("warnings")[0];
        Assert.Equal(2, warning.GetProperty("line").GetInt32());
        Assert.Contains("New employee_id 'P-0001' has the email of 'E1', whom this import deactivates", warning.GetProperty("message").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_MissingColumn_Returns422NamingIt(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var body = await ImportRoster(app, "employee_id,name,team,manager_email,title\nE1,Ann,Platform,,SRE\n", (HttpStatusCode)422);
        var error = Assert.Single(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(1, error.GetProperty("line").GetInt32());
        Assert.Equal("email", error.GetProperty("column").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_QuotedFieldsWithLineBreaks_ReportTheRightLines(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var csv = Data.RosterHeader + "\n" +
                  "E1,\"Ann\nArcher\",ann@example.com,Platform,,SRE\n" +   // lines 2-3
                  "E2,Bob,bad-email,Platform,,SRE\n";                       // line 4
        var body = await ImportRoster(app, csv, (HttpStatusCode)422);
        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        // The line break inside a name is itself refused (control character), on the line where the record starts.
        Assert.Equal([2, 4], errors.Select(e => e.GetProperty("line").GetInt32()));
        Assert.Contains("control character", errors[0].GetProperty("message").GetString());
    }

    public static TheoryData<string, byte[], int> BadFiles()
    {
        var junk = new byte[4096];
        new Random(7).NextBytes(junk);
        junk[0] = 0x00;
        return new()
        {
            { "empty", [], 422 },
            { "header only", Data.Utf8(Data.RosterHeader + "\n"), 422 },
            { "blank lines only", Data.Utf8("\n\n  \n"), 422 },
            { "binary junk renamed .csv", junk, 415 },
            { "png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52], 415 },
            { "legacy xls", [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0], 415 },
            { "invalid utf-8", [.. Data.Utf8(Data.RosterHeader + "\nE1,Ann "), 0xC3, 0x28, .. Data.Utf8(",a@example.com,T,,SRE\n")], 422 },
            { "unclosed quote", Data.Utf8(Data.RosterHeader + "\nE1,\"Ann,a@example.com,T,,SRE\n"), 422 },
            { "zip that is not a workbook", ZipWith(("hello.txt", "hi"u8.ToArray())), 422 },
        };
    }

    public static IEnumerable<object[]> BadFilesOnEachDatabase() => DatabaseRows.Cross(BadFiles());

    [SkippableTheory]
    [MemberData(nameof(BadFilesOnEachDatabase))]
    public async Task RosterImport_BadFile_IsRefusedWithAClearError_AndChangesNothing(DatabaseProvider provider, string name, byte[] content, int status)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var response = await api.Upload("/api/imports/roster", content, name + ".csv");
        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        var body = await response.JsonOf();
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        Assert.NotEmpty(body.GetProperty("errors").EnumerateArray());
        Assert.Equal(before, Fingerprint(app));
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/health")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_Oversize_Returns413_AndChangesNothing(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var big = new StringBuilder(Data.RosterHeader + "\n");
        for (var i = 0; big.Length < 1_200_000; i++) big.Append($"X{i},Name {i},x{i}@example.com,Big,,SRE\n");
        var response = await api.UploadCsv("/api/imports/roster", big.ToString());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("MB", (await response.JsonOf()).GetProperty("detail").GetString());
        Assert.Equal(before, Fingerprint(app));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_ZipBomb_IsRefusedByCountingInflatedBytes(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        // 64 MB of spaces inside a "worksheet" compresses to well under the 1 MB upload limit.
        var bomb = BombWorkbook(64L * 1024 * 1024);
        Assert.True(bomb.Length < 1_048_576, $"bomb is {bomb.Length} bytes");
        var response = await api.Upload("/api/imports/roster", bomb, "bomb.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Contains("zip bomb", (await response.JsonOf()).GetProperty("detail").GetString());
        Assert.Equal(before, Fingerprint(app));
    }

    [SkippableTheory, DatabaseData]
    public async Task RosterImport_XlsxWithTooManyColumns_Returns422(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        using var wb = new XLWorkbook();
        var ws = wb.AddWorksheet("Roster");
        ws.Cell(1, 1).Value = "employee_id";
        ws.Cell(1, 16384).Value = "far away";
        var response = await api.Upload("/api/imports/roster", Save(wb), "wide.xlsx");
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        Assert.Contains("columns", (await response.JsonOf()).GetProperty("detail").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task XlsxAndCsv_GiveTheSameResult(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await using var other = new AppFactory(provider);
        var otherApi = other.Api();

        await ImportRoster(app, Data.Roster());
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", Data.Completions(), "c.csv")).StatusCode);

        var rosterXlsx = ToWorkbook(Data.Roster(), dateColumns: []);
        var completionsXlsx = ToWorkbook(Data.Completions(), dateColumns: [2, 3]);
        Assert.Equal(HttpStatusCode.OK, (await otherApi.Upload("/api/imports/roster", rosterXlsx, "roster.xlsx")).StatusCode);
        var c = await otherApi.Upload("/api/imports/completions", completionsXlsx, "completions.xlsx");
        Assert.True(c.StatusCode == HttpStatusCode.OK, await c.Content.ReadAsStringAsync());

        Assert.Equal(await (await api.GetAsync("/api/teams")).Content.ReadAsStringAsync(),
            await (await otherApi.GetAsync("/api/teams")).Content.ReadAsStringAsync());
        foreach (var id in new[] { "E1", "E2", "E4", "E5" })
        {
            var a = (await (await api.GetAsync($"/api/engineers/{id}")).JsonOf()).GetProperty("certifications").ToString();
            var b = (await (await otherApi.GetAsync($"/api/engineers/{id}")).JsonOf()).GetProperty("certifications").ToString();
            Assert.Equal(a, b);
        }
        // Re-importing the xlsx is as idempotent as the CSV.
        var again = await (await otherApi.Upload("/api/imports/roster", rosterXlsx, "roster.xlsx")).JsonOf();
        Assert.Equal(5, again.GetProperty("unchanged").GetInt32());
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionImport_RowErrors_Return422_AndNothingIsApplied(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var before = Fingerprint(app);
        var csv = Data.Lines(
            "employee_id,certification,earned_on,expires_on",
            "E1,aiops-foundation,2025-01-01,",          // fine
            "E404,aiops-foundation,2025-01-01,",        // unknown engineer
            "E1,Kubernetes Wizard,2025-01-01,",         // unknown certification
            "E1,aiops-professional,01/02/2025,",        // bad date
            "E1,aiops-architect,2025-01-01,2024-01-01", // expiry before earned
            "E1,aiops-foundation,2025-01-01,",          // duplicate of line 2
            "E2,mlops-foundation,2030-01-01,");         // future
        var body = await (await api.UploadCsv("/api/imports/completions", csv, "c.csv")).JsonOf();
        var errors = body.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetString())).ToList();
        Assert.Equal([(3, "employee_id"), (4, "certification"), (5, "earned_on"), (6, "expires_on"), (7, "certification"), (8, "earned_on")], errors);
        Assert.Equal(before, Fingerprint(app));
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionImport_MatchesLongNamesAndEmails_DerivesExpiry_AndIsIdempotent(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var csv = Data.Lines(
            "E-mail,Certification,Earned On",
            "ann@example.com,Certified MLOps Engineer — Professional,2025-02-03",
            "ANN@EXAMPLE.COM,  certified   aiops architect -   foundation level ,2024-12-31");
        var body = await (await api.UploadCsv("/api/imports/completions", csv, "c.csv")).JsonOf();
        Assert.Equal(2, body.GetProperty("created").GetInt32());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM completions WHERE certification_id = 'mlops-professional' AND expires_on = '2028-02-03' AND expiry_derived = TRUE"));
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM completions WHERE certification_id = 'aiops-foundation' AND expires_on = '2027-12-31'"));

        var again = await (await api.UploadCsv("/api/imports/completions", csv, "c.csv")).JsonOf();
        Assert.Equal(2, again.GetProperty("unchanged").GetInt32());
        Assert.False(again.GetProperty("applied").GetBoolean());
        Assert.Equal(2, app.Scalar("SELECT COUNT(*) FROM completions"));
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionImport_WithoutExpiry_NeverOverwritesARecordedExpiry(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        await api.UploadCsv("/api/imports/completions", Data.Lines("employee_id,certification,earned_on,expires_on", "E5,aiops-foundation,2025-01-01,2026-01-01"), "c.csv");
        var again = await (await api.UploadCsv("/api/imports/completions", Data.Lines("employee_id,certification,earned_on", "E5,aiops-foundation,2025-01-01"), "c.csv")).JsonOf();
        Assert.Equal(1, again.GetProperty("unchanged").GetInt32());
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM completions WHERE expires_on = '2026-01-01' AND expiry_derived = FALSE"));
    }

    [SkippableTheory, DatabaseData]
    public async Task CompletionHistory_IsKept_AndTheLatestExpiryCounts(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        await ImportRoster(app, Data.Roster());
        var csv = Data.Lines("employee_id,certification,earned_on,expires_on",
            "E5,aiops-foundation,2020-01-01,2023-01-01",
            "E5,aiops-foundation,2023-02-01,2026-02-01",
            "E5,aiops-foundation,2022-06-01,2026-07-15");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/completions", csv, "c.csv")).StatusCode);
        Assert.Equal(3, app.Scalar("SELECT COUNT(*) FROM completions"));
        var eve = await (await api.GetAsync("/api/engineers/E5")).JsonOf();
        var foundation = eve.GetProperty("certifications").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "aiops-foundation");
        Assert.Equal("2026-07-15", foundation.GetProperty("expiresOn").GetString());
        Assert.Equal("expiring", foundation.GetProperty("status").GetString());
    }

    [SkippableTheory, DatabaseData]
    public async Task Imports_AreRecorded_AndTheOriginalFileCanBeDownloaded(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var csv = Data.Roster();
        var id = (await ImportRoster(app, csv)).GetProperty("importId").GetInt64();
        await api.Upload("/api/imports/roster", [0, 1, 2, 3], "junk.csv");

        var list = await (await api.GetAsync("/api/imports")).JsonOf();
        Assert.Equal(2, list.GetArrayLength());
        var applied = list.EnumerateArray().Single(i => i.GetProperty("id").GetInt64() == id);
        Assert.Equal("Applied", applied.GetProperty("outcome").GetString());
        Assert.Equal("bootstrap-admin", applied.GetProperty("importedBy").GetString());
        Assert.Equal(5, applied.GetProperty("created").GetInt32());
        Assert.Equal("Rejected", list[0].GetProperty("outcome").GetString());

        var file = await api.GetAsync($"/api/imports/{id}/file");
        Assert.Equal(HttpStatusCode.OK, file.StatusCode);
        Assert.Equal(Data.Utf8(csv), await file.Content.ReadAsByteArrayAsync());
        Assert.Equal("text/csv", file.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/imports/999/file")).StatusCode);
        // Stored gzip'd, so PostgreSQL is told not to try compressing it again (EXTERNAL storage, migration ImportFileStorage).
        if (provider == DatabaseProvider.PostgreSql)
            Assert.Equal(1L, app.Scalar("SELECT COUNT(*) FROM pg_attribute WHERE attrelid = 'import_files'::regclass AND attname = 'gzip' AND attstorage = 'e'"));
    }

    [SkippableTheory, DatabaseData]
    public async Task Import_WithBadMode_Returns400(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var response = await api.UploadCsv("/api/imports/roster?mode=everything", Data.Roster());
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task AQueryValueThatDoesNotBind_Is400NamingIt_AndNoServerErrorIsLogged()
    {
        var logs = new LogRecorder();
        await using var app = new AppFactory { TestServices = s => s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(logs) };
        var api = app.Api();
        foreach (var (url, named) in new[] { ("/api/imports?take=abc", "take"), ("/api/forecast?teamId=abc", "teamId") })
        {
            var response = await api.GetAsync(url);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var detail = (await response.JsonOf()).GetProperty("detail").GetString();
            Assert.Contains(named, detail);
        }
        var upload = await api.UploadCsv("/api/imports/roster?dryRun=yes", Data.Roster());
        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        var problem = await upload.JsonOf();
        // The parameter, the value and what it accepts, not the C# type ("Nullable<bool> dryRun").
        Assert.Equal("\"yes\" is not a valid value for dryRun: use true or false.", problem.GetProperty("detail").GetString());
        Assert.Equal(1, problem.GetProperty("errors").GetProperty("dryRun").GetArrayLength());
        Assert.Equal(0, app.Scalar("SELECT COUNT(*) FROM imports"));
        Assert.DoesNotContain(logs.Entries, e => e.Level >= Microsoft.Extensions.Logging.LogLevel.Error);
    }

    [Fact]
    public async Task Import_OfARawCsvBody_SaysToSendMultipart_AndWithoutAKeyIs401()
    {
        await using var app = new AppFactory();
        HttpRequestMessage Raw() => new(HttpMethod.Post, "/api/imports/roster") { Content = new StringContent(Data.Roster(), Encoding.UTF8, "text/csv") };
        var response = await app.Api().SendAsync(Raw());
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("Send the file as multipart/form-data in the field 'file'.", (await response.JsonOf()).GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.CreateClient().SendAsync(Raw())).StatusCode); // authorization first
    }

    [SkippableTheory, DatabaseData]
    public async Task Import_WithoutFileField_Returns400(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        using var form = new MultipartFormDataContent { { new StringContent("x"), "notfile" } };
        var response = await api.PostAsync("/api/imports/roster", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    internal static byte[] ToWorkbook(string csv, int[] dateColumns)
    {
        using var wb = new XLWorkbook();
        var ws = wb.AddWorksheet("Sheet1");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var r = 0; r < lines.Length; r++)
        {
            var cells = lines[r].Split(',');
            for (var c = 0; c < cells.Length; c++)
            {
                var cell = ws.Cell(r + 1, c + 1);
                if (r > 0 && dateColumns.Contains(c) && DateTime.TryParse(cells[c], out var date))
                {
                    cell.Value = date; // a real Excel date cell, as HR exports have
                    cell.Style.DateFormat.Format = "dd/mm/yyyy";
                }
                else if (r > 0 && c == 0 && int.TryParse(cells[c], out var n)) cell.Value = n;
                else cell.SetValue(cells[c]);
            }
        }
        return Save(wb);
    }

    private static byte[] Save(XLWorkbook wb)
    {
        using var ms = new MemoryStream();
        wb.SaveAs(ms);
        return ms.ToArray();
    }

    private static byte[] ZipWith(params (string Name, byte[] Content)[] entries)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var s = zip.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                s.Write(content);
            }
        }
        return ms.ToArray();
    }

    private static byte[] BombWorkbook(long inflatedBytes)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Text(string name, string content)
            {
                using var s = zip.CreateEntry(name).Open();
                s.Write(Encoding.UTF8.GetBytes(content));
            }
            Text("[Content_Types].xml", "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>");
            Text("xl/workbook.xml", "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>");
            Text("xl/_rels/workbook.xml.rels", "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>");
            using var sheet = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.SmallestSize).Open();
            sheet.Write("<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>"u8);
            var spaces = new byte[1 << 20];
            Array.Fill(spaces, (byte)' ');
            for (long written = 0; written < inflatedBytes; written += spaces.Length) sheet.Write(spaces);
            sheet.Write("</sheetData></worksheet>"u8);
        }
        return ms.ToArray();
    }
}
