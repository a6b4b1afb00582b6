using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TeamSkills.Core.Data;

namespace TeamSkills.Tests.Integration;

public sealed class GapApiTests
{
    private static Task<AppFactory> StartAsync(DatabaseProvider provider) => new AppFactory(provider).StartedAsync(async app =>
    {
        var api = app.Api();
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster", Data.Roster())).StatusCode);
        var completions = await api.UploadCsv("/api/imports/completions", Data.Completions(), "completions.csv");
        Assert.Equal(HttpStatusCode.OK, completions.StatusCode);
    });

    private static JsonElement Team(JsonElement teams, string name) =>
        teams.EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);

    [SkippableTheory, DatabaseData]
    public async Task Forecast_CountsHeldRecommendedCertificationsByExpiryMonth_ForTheOrgOrOneTeam(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var org = await (await api.GetAsync("/api/forecast")).JsonOf();
        var months = org.GetProperty("months").EnumerateArray().ToArray();
        Assert.Equal(12, months.Length);
        Assert.Equal("2026-06-01", months[0].GetProperty("month").GetString());
        // E1's architect expires 2026-07-01, E2's professional 2027-02-01, E4's MLOps Foundation 2027-05-05;
        // E1's professional (2028) is beyond the horizon and expired ones never count.
        var counts = months.ToDictionary(m => m.GetProperty("month").GetString()!, m => m.GetProperty("count").GetInt32());
        Assert.Equal(1, counts["2026-07-01"]);
        Assert.Equal(1, counts["2027-02-01"]);
        Assert.Equal(1, counts["2027-05-01"]);
        Assert.Equal(3, counts.Values.Sum());

        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        var platform = Team(teams, "Platform").GetProperty("id").GetInt32();
        var team = await (await api.GetAsync($"/api/forecast?teamId={platform}")).JsonOf();
        Assert.Equal(2, team.GetProperty("months").EnumerateArray().Sum(m => m.GetProperty("count").GetInt32()));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/forecast?teamId=99999")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await api.GetAsync("/api/forecast?asOf=tomorrow")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Teams_ReturnsEveryAggregateField_AsOfToday(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        Assert.Equal(2, teams.GetArrayLength());

        var platform = Team(teams, "Platform");
        Assert.Equal("mia@example.com", platform.GetProperty("managerEmail").GetString());
        Assert.Equal(3, platform.GetProperty("engineerCount").GetInt32());
        Assert.Equal(8, platform.GetProperty("recommendedCount").GetInt32());
        Assert.Equal(3, platform.GetProperty("heldCount").GetInt32());
        Assert.Equal(5, platform.GetProperty("gapCount").GetInt32());
        Assert.Equal(1, platform.GetProperty("expiringSoonCount").GetInt32());
        Assert.Equal(1, platform.GetProperty("expiredCount").GetInt32());
        Assert.Equal(1, platform.GetProperty("unmappedCount").GetInt32());
        Assert.Equal(37.5, platform.GetProperty("coveragePercent").GetDouble());
        Assert.True(platform.GetProperty("id").GetInt32() > 0);

        var data = Team(teams, "Data");
        Assert.Equal(2, data.GetProperty("engineerCount").GetInt32());
        Assert.Equal(7, data.GetProperty("recommendedCount").GetInt32());
        Assert.Equal(1, data.GetProperty("heldCount").GetInt32());
        Assert.Equal(6, data.GetProperty("gapCount").GetInt32());
        Assert.Equal(0, data.GetProperty("expiringSoonCount").GetInt32());
        Assert.Equal(1, data.GetProperty("expiredCount").GetInt32());
        Assert.Equal(0, data.GetProperty("unmappedCount").GetInt32());
        Assert.Equal(14.3, data.GetProperty("coveragePercent").GetDouble());
    }

    [SkippableTheory, DatabaseData]
    public async Task TeamsAndEngineers_AreListedInOrdinalNameOrder_WhateverTheDatabaseCollation(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        if (provider == DatabaseProvider.PostgreSql)
        {
            // As on a server whose databases take a linguistic locale (en_US.UTF-8 is common), where ORDER BY puts
            // "alpha" before "Zeta" and ignores punctuation; SQLite compares bytes.
            using var conn = app.OpenConnection();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = "ALTER TABLE teams ALTER COLUMN name TYPE character varying(200) COLLATE \"en-US-x-icu\"; " +
                "ALTER TABLE engineers ALTER COLUMN name TYPE character varying(200) COLLATE \"en-US-x-icu\"";
            cmd.ExecuteNonQuery();
        }
        var roster = Data.Lines(Data.RosterHeader,
            "O1,zoe Zane,zoe@example.com,alpha,,SRE", "O2,Yan Young,yan@example.com,alpha,,SRE", "O3,_bot,bot@example.com,alpha,,SRE",
            "O4,Ann Ames,ann.a@example.com,Zeta,,SRE", "O5,Bea Bell,bea@example.com,_ops,,SRE", "O6,Cy Cole,cy@example.com,Beta,,SRE");
        Assert.Equal(HttpStatusCode.OK, (await api.UploadCsv("/api/imports/roster?mode=partial", roster)).StatusCode);

        var teams = (await (await api.GetAsync("/api/teams")).JsonOf()).EnumerateArray().ToList();
        var names = teams.Select(t => t.GetProperty("name").GetString()!).ToList();
        Assert.Equal(["Beta", "Data", "Platform", "Zeta", "_ops", "alpha"], names);
        var alpha = teams.Single(t => t.GetProperty("name").GetString() == "alpha").GetProperty("id").GetInt32();
        var engineers = (await (await api.GetAsync($"/api/teams/{alpha}/gaps")).JsonOf()).GetProperty("engineers").EnumerateArray()
            .Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Equal(["Yan Young", "_bot", "zoe Zane"], engineers);
    }

    [SkippableTheory, DatabaseData]
    public async Task Teams_AsOfInThePast_IgnoresCompletionsEarnedLater(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        // On 2024-01-01 only E1's architect (2023-07-01) and mlops-professional (2022, expiring 2025-01-01) existed.
        var teams = await (await api.GetAsync("/api/teams?asOf=2024-01-01")).JsonOf();
        var platform = Team(teams, "Platform");
        Assert.Equal(2, platform.GetProperty("heldCount").GetInt32());
        Assert.Equal(0, platform.GetProperty("expiringSoonCount").GetInt32());
        Assert.Equal(0, platform.GetProperty("expiredCount").GetInt32());
        var data = Team(teams, "Data");
        Assert.Equal(1, data.GetProperty("heldCount").GetInt32()); // dataops-specialist, valid until 2026-05-31
    }

    [SkippableTheory, DatabaseData]
    public async Task Teams_WithMalformedAsOf_Returns400(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var response = await api.GetAsync("/api/teams?asOf=01/06/2026");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("YYYY-MM-DD", await response.Content.ReadAsStringAsync());
    }

    [SkippableTheory, DatabaseData]
    public async Task TeamGaps_ListsEngineersWithStatusesAndNextStep(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        var id = Team(teams, "Platform").GetProperty("id").GetInt32();
        var gaps = await (await api.GetAsync($"/api/teams/{id}/gaps")).JsonOf();

        Assert.Equal("Platform", gaps.GetProperty("name").GetString());
        Assert.Equal(37.5, gaps.GetProperty("coveragePercent").GetDouble());
        foreach (var field in new[] { "id", "managerEmail", "engineerCount", "recommendedCount", "heldCount", "gapCount",
                     "expiringSoonCount", "expiredCount", "unmappedCount" })
        {
            Assert.True(gaps.TryGetProperty(field, out _), field);
        }
        var engineers = gaps.GetProperty("engineers").EnumerateArray().ToDictionary(e => e.GetProperty("employeeId").GetString()!);
        Assert.Equal(3, engineers.Count);

        var ann = engineers["E1"];
        Assert.Equal("Ann Archer", ann.GetProperty("name").GetString());
        Assert.Equal("ann@example.com", ann.GetProperty("email").GetString());
        Assert.Equal("Senior Site Reliability Engineer", ann.GetProperty("title").GetString());
        Assert.Equal("SRE", ann.GetProperty("role").GetString());
        var statuses = ann.GetProperty("certifications").EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetString()!, c => c);
        Assert.Equal(["aiops-professional", "aiops-architect", "mlops-professional", "aiops-specialist"], statuses.Keys);
        Assert.Equal("valid", statuses["aiops-professional"].GetProperty("status").GetString());
        Assert.Equal("2028-01-10", statuses["aiops-professional"].GetProperty("expiresOn").GetString());
        Assert.Equal("2025-01-10", statuses["aiops-professional"].GetProperty("earnedOn").GetString());
        Assert.Equal("expiring", statuses["aiops-architect"].GetProperty("status").GetString());
        Assert.Equal("expired", statuses["mlops-professional"].GetProperty("status").GetString());
        Assert.Equal("missing", statuses["aiops-specialist"].GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, statuses["aiops-specialist"].GetProperty("earnedOn").ValueKind);
        Assert.Equal("AIOps Specialist", statuses["aiops-specialist"].GetProperty("name").GetString());
        // mlops-professional is the smallest-order gap, but its prerequisite mlops-foundation is not held.
        Assert.Equal("mlops-foundation", ann.GetProperty("next").GetProperty("id").GetString());
        Assert.Equal("MLOps Foundation", ann.GetProperty("next").GetProperty("name").GetString());
        // Her role does not recommend it (the heat map shows it n/a), so the next step says what it leads to.
        Assert.DoesNotContain("mlops-foundation", statuses.Keys);
        Assert.Equal("MLOps Professional", ann.GetProperty("next").GetProperty("prerequisiteOf").GetString());
        Assert.Equal("MLOps Foundation (prerequisite of MLOps Professional)", ann.GetProperty("next").GetProperty("label").GetString());
        var page = await (await app.SignedInAsAsync("lnd@example.com", "LearningAdmin")).GetStringAsync($"/teams/{id}");
        // The next step, then the renewal due (AIOps Architect is expiring).
        Assert.Contains("<td data-field=\"next\">MLOps Foundation (prerequisite of MLOps Professional); renew AIOps Architect by 2026-07-01</td>", page);
        // Cell tooltips: an expired one says when it expired, not "expired, expires".
        Assert.Matches("title=\"MLOps Professional: expired \\d{4}-\\d{2}-\\d{2}\"", page);
        Assert.Contains("title=\"AIOps Architect: expiring, expires 2026-07-01\"", page);
        Assert.DoesNotContain("expired, expires", page);

        Assert.Equal("mlops-professional", engineers["E2"].GetProperty("next").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, engineers["E2"].GetProperty("next").GetProperty("prerequisiteOf").ValueKind);
        Assert.Equal("MLOps Professional", engineers["E2"].GetProperty("next").GetProperty("label").GetString());

        var cat = engineers["E3"];
        Assert.Equal(JsonValueKind.Null, cat.GetProperty("role").ValueKind);
        Assert.Equal(0, cat.GetProperty("certifications").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, cat.GetProperty("next").ValueKind);
    }

    [SkippableTheory, DatabaseData]
    public async Task TeamGaps_UnknownTeam_Returns404(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var response = await api.GetAsync("/api/teams/9999/gaps");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [SkippableTheory, DatabaseData]
    public async Task Engineer_ReturnsPlanWithPrerequisitesAndPreparationDays(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var eve = await (await api.GetAsync("/api/engineers/E5")).JsonOf();
        Assert.Equal("DevOps Engineer", eve.GetProperty("role").GetString());
        Assert.Equal("aiops-foundation", eve.GetProperty("next").GetProperty("id").GetString());
        var plan = eve.GetProperty("plan").EnumerateArray().ToList();
        Assert.Equal(["aiops-foundation", "mlops-foundation", "aiops-professional", "mlops-professional"],
            plan.Select(p => p.GetProperty("id").GetString()));
        Assert.Equal([30, 90, 150, 210], plan.Select(p => p.GetProperty("cumulativePreparationDays").GetInt32()));
        Assert.Equal(210, eve.GetProperty("remainingPreparationDays").GetInt32());

        var ann = await (await api.GetAsync("/api/engineers/E1")).JsonOf();
        var annPlan = ann.GetProperty("plan").EnumerateArray().ToList();
        Assert.Equal(["mlops-foundation", "mlops-professional", "aiops-specialist"], annPlan.Select(p => p.GetProperty("id").GetString()));
        Assert.Equal("prerequisite of MLOps Professional", annPlan[0].GetProperty("reason").GetString());
        var architect = ann.GetProperty("certifications").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "aiops-architect");
        Assert.Equal("expires 2026-07-01: earned 2023-07-01 + 36 months validity", architect.GetProperty("explanation").GetString());
        Assert.Equal(3, ann.GetProperty("history").GetArrayLength());
    }

    [SkippableTheory, DatabaseData]
    public async Task Engineer_Unknown_Returns404(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/engineers/NOPE")).StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task RecordingACompletion_ChangesTheTeamAtOnce(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var response = await api.PostAsJsonAsync("/api/completions",
            new { employeeId = "E5", certification = "AIOps Foundation", earnedOn = "2026-05-20" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.JsonOf();
        Assert.Equal("2029-05-20", body.GetProperty("completion").GetProperty("expiresOn").GetString());

        var teams = await (await api.GetAsync("/api/teams")).JsonOf();
        Assert.Equal(2, Team(teams, "Data").GetProperty("heldCount").GetInt32());
        var eve = await (await api.GetAsync("/api/engineers/E5")).JsonOf();
        Assert.Equal("mlops-foundation", eve.GetProperty("next").GetProperty("id").GetString());

        // The same record again changes nothing.
        var again = await api.PostAsJsonAsync("/api/completions",
            new { employeeId = "E5", certification = "aiops-foundation", earnedOn = "2026-05-20" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.False((await again.JsonOf()).GetProperty("changed").GetBoolean());
    }

    [SkippableTheory]
    [DatabaseInlineData("{\"employeeId\":\"E5\",\"certification\":\"Kubernetes Guru\",\"earnedOn\":\"2026-05-20\"}", "certification",
        "Unknown certification 'Kubernetes Guru'.", "Unknown certification 'Kubernetes Guru'.")]
    [DatabaseInlineData("{\"employeeId\":\"NOBODY\",\"certification\":\"aiops-foundation\",\"earnedOn\":\"2026-05-20\"}", "employeeId",
        "Unknown engineer 'NOBODY'.", "Unknown engineer 'NOBODY'.")]
    [DatabaseInlineData("{\"employeeId\":\"E5\",\"certification\":\"aiops-foundation\",\"earnedOn\":\"20/05/2026\"}", "earnedOn",
        "earnedOn is required as YYYY-MM-DD.", "Earned on is required as YYYY-MM-DD.")]
    [DatabaseInlineData("{\"employeeId\":\"E5\",\"certification\":\"aiops-foundation\",\"earnedOn\":\"2027-01-01\"}", "earnedOn",
        "earnedOn 2027-01-01 is in the future.", "Earned on 2027-01-01 is in the future.")]
    [DatabaseInlineData("{\"employeeId\":\"E5\",\"certification\":\"aiops-foundation\",\"earnedOn\":\"2026-05-20\",\"expiresOn\":\"2026-01-01\"}", "expiresOn",
        "expiresOn (2026-01-01) must be after earnedOn (2026-05-20).", "Expires on (2026-01-01) must be after earned on (2026-05-20).")]
    public async Task RecordingABadCompletion_Returns422NamingTheField_AndSaysWhyInWords(DatabaseProvider provider, string json, string field,
        string error, string detail)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var before = app.Scalar("SELECT COUNT(*) FROM completions");
        var response = await api.PostAsync("/api/completions", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal((HttpStatusCode)422, response.StatusCode);
        var body = await response.JsonOf();
        Assert.Equal(error, Assert.Single(body.GetProperty("errors").GetProperty(field).EnumerateArray()).GetString());
        Assert.Equal(detail, body.GetProperty("detail").GetString());
        Assert.Equal(before, app.Scalar("SELECT COUNT(*) FROM completions"));
    }

    [SkippableTheory, DatabaseData]
    public async Task MappingAnUnmappedTitle_RecomputesAtOnce(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var unmapped = await (await api.GetAsync("/api/roles/unmapped")).JsonOf();
        var entry = Assert.Single(unmapped.EnumerateArray());
        Assert.Equal("solutions architect", entry.GetProperty("normalizedTitle").GetString());
        Assert.Equal(1, entry.GetProperty("engineerCount").GetInt32());

        var mapped = await api.PostAsJsonAsync("/api/roles/aliases", new { title = "Solutions Architect", role = "Platform Engineer" });
        Assert.Equal(HttpStatusCode.Created, mapped.StatusCode);
        Assert.Equal(1, (await mapped.JsonOf()).GetProperty("remappedEngineers").GetInt32());

        Assert.Equal(0, (await (await api.GetAsync("/api/roles/unmapped")).JsonOf()).GetArrayLength());
        var platform = Team(await (await api.GetAsync("/api/teams")).JsonOf(), "Platform");
        Assert.Equal(0, platform.GetProperty("unmappedCount").GetInt32());
        Assert.Equal(12, platform.GetProperty("recommendedCount").GetInt32());

        var bad = await api.PostAsJsonAsync("/api/roles/aliases", new { title = "Wizard", role = "Sorcerer" });
        Assert.Equal((HttpStatusCode)422, bad.StatusCode);
    }

    [SkippableTheory, DatabaseData]
    public async Task Catalog_HasTheTwelveCertificationsInOrder_AndEightRoles(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        var certs = await (await api.GetAsync("/api/catalog/certifications")).JsonOf();
        Assert.Equal(
            ["aiops-foundation", "aiops-professional", "aiops-architect", "sre-aiops", "finops-aiops", "mlops-foundation",
             "mlops-professional", "mlops-advanced", "aiops-specialist", "dataops-specialist", "devsecops-specialist", "finops-specialist"],
            certs.EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var advanced = certs.EnumerateArray().Single(c => c.GetProperty("id").GetString() == "mlops-advanced");
        Assert.Equal("mlops-professional", advanced.GetProperty("hardPrerequisite").GetString());
        Assert.Equal(36, advanced.GetProperty("validityMonths").GetInt32());
        Assert.Equal(90, advanced.GetProperty("renewalWindowDays").GetInt32());
        Assert.Equal(3, advanced.GetProperty("recommendedOrder").GetInt32());

        var roles = await (await api.GetAsync("/api/catalog/roles")).JsonOf();
        Assert.Equal(8, roles.GetArrayLength());
        var security = roles.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "Security Engineer");
        var securityCerts = security.GetProperty("certifications").EnumerateArray().ToList();
        Assert.Equal(["aiops-professional", "mlops-foundation", "devsecops-specialist"], securityCerts.Select(c => c.GetProperty("id").GetString()));
        Assert.Equal("Security focus", securityCerts[0].GetProperty("focus").GetString());
        var finops = roles.EnumerateArray().Single(r => r.GetProperty("name").GetString() == "FinOps Practitioner");
        Assert.Contains("finops-aiops", finops.GetProperty("certifications").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
    }

    [SkippableTheory, DatabaseData]
    public async Task EditingTheRenewalWindow_ChangesStatusesAtOnce_AndCyclesAreRefused(DatabaseProvider provider)
    {
        await using var app = await StartAsync(provider);
        var api = app.Api();
        // E1's aiops-professional expires 2028-01-10: valid with a 90-day window, expiring with a 1000-day one.
        var edit = await api.PutAsJsonAsync("/api/catalog/certifications/aiops-professional", new { renewalWindowDays = 365 * 2 });
        Assert.Equal((HttpStatusCode)422, edit.StatusCode);
        edit = await api.PutAsJsonAsync("/api/catalog/certifications/aiops-professional", new { renewalWindowDays = 365 });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        var platform = Team(await (await api.GetAsync("/api/teams?asOf=2027-02-01")).JsonOf(), "Platform");
        Assert.Equal(1, platform.GetProperty("expiringSoonCount").GetInt32()); // E1's, expiring 2028-01-10 within 365 days

        // A shorter validity moves derived expiries: E1's architect (earned 2023-07-01) now expires 2025-07-01.
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/catalog/certifications/aiops-architect", new { validityMonths = 24 })).StatusCode);
        var ann = await (await api.GetAsync("/api/engineers/E1")).JsonOf();
        var architect = ann.GetProperty("certifications").EnumerateArray().Single(c => c.GetProperty("id").GetString() == "aiops-architect");
        Assert.Equal("2025-07-01", architect.GetProperty("expiresOn").GetString());
        Assert.Equal("expired", architect.GetProperty("status").GetString());
        Assert.Equal("expires 2025-07-01: earned 2023-07-01 + 24 months validity", architect.GetProperty("explanation").GetString());
        // E1's mlops-professional expiry was recorded explicitly and does not move.
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync("/api/catalog/certifications/mlops-professional", new { validityMonths = 12 })).StatusCode);
        Assert.Equal(1, app.Scalar("SELECT COUNT(*) FROM completions WHERE certification_id = 'mlops-professional' AND expires_on = '2025-01-01'"));

        var cycle = await api.PutAsJsonAsync("/api/catalog/certifications/mlops-foundation", new { hardPrerequisite = "mlops-advanced" });
        Assert.Equal((HttpStatusCode)422, cycle.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync("/api/catalog/certifications/nope", new { validityMonths = 12 })).StatusCode);
    }
}
