using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using TeamSkills.Tests.Integration;

namespace TeamSkills.Tests.Browser;

/// <summary>The dashboard as a person sees it, in Debian's Chromium driven by Playwright.</summary>
public sealed class DashboardTests(BrowserFixture fx) : IClassFixture<BrowserFixture>
{
    internal static async Task SignInWithPasswordAsync(IPage page, string email = BrowserFixture.AdminEmail,
        string password = BrowserFixture.AdminPassword)
    {
        await page.GotoAsync("/signin");
        await page.FillAsync("#email", email);
        await page.FillAsync("#password", password);
        await page.ClickAsync("form:has(#password) button[type=submit]");
        await page.WaitForURLAsync(u => !u.Contains("/signin"));
    }

    /// <summary>A new browser context signed in as the L&amp;D admin, on the overview with its live connection up.</summary>
    private async Task<IPage> LiveOverviewAsync()
    {
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page);
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        return page;
    }

    /// <summary>A new Manager user, with a password, signed in in a new browser context: on the overview, live.</summary>
    private async Task<IPage> LiveManagerOverviewAsync(string email)
    {
        Assert.Equal(HttpStatusCode.Created, (await fx.Admin.PostAsJsonAsync("/api/users", new { email, role = "Manager" })).StatusCode);
        const string password = "a manager's own passphrase";
        using (var scope = fx.App.Services.CreateScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Core.Access.AppUser>>();
            Assert.True((await users.AddPasswordAsync((await users.FindByEmailAsync(email))!, password)).Succeeded);
        }
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page, email, password);
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        return page;
    }

    /// <summary>Two teams of <paramref name="manager"/> imported (one roster row each), their overview open and live, marked
    /// so a reload would show (window.__notReloaded).</summary>
    private async Task<IPage> LiveOverviewOfTwoTeamsAsync(string manager, string firstRow, string secondRow)
    {
        await ImportRosterAsync(firstRow, secondRow);
        var page = await LiveManagerOverviewAsync(manager);
        await page.EvaluateAsync("() => window.__notReloaded = true");
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToHaveCountAsync(2);
        return page;
    }

    /// <summary>A new browser context signed in as the L&amp;D admin, on a team's page with its live connection up;
    /// <paramref name="beforeOpening"/> can watch the page from its first request.</summary>
    private async Task<IPage> LiveTeamPageAsync(int teamId, Action<IPage>? beforeOpening = null)
    {
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page);
        beforeOpening?.Invoke(page);
        await page.GotoAsync($"/teams/{teamId}");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        return page;
    }

    /// <summary>A partial roster import of these rows (over the API, as another L&amp;D session would).</summary>
    private async Task ImportRosterAsync(params string[] rows) =>
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.UploadCsv("/api/imports/roster?mode=partial", Data.Lines([Data.RosterHeader, .. rows]))).StatusCode);

    private async Task<JsonElement[]> TeamsAsync() => (await (await fx.Admin.GetAsync("/api/teams")).JsonOf()).EnumerateArray().ToArray();

    private async Task<int> TeamIdAsync(string name) =>
        (await TeamsAsync()).Single(t => t.GetProperty("name").GetString() == name).GetProperty("id").GetInt32();

    private static Task ShotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ArtifactsDirectory, name), FullPage = true });

    [SkippableFact]
    public async Task SignIn_OverviewShowsTheApisNumbers_AndGoesLive()
    {
        fx.SkipUnlessReady();
        var page = await LiveOverviewAsync();

        var teams = await TeamsAsync();
        int Sum(string f) => teams.Sum(t => t.GetProperty(f).GetInt32());
        await Assertions.Expect(page.Locator("[data-tile=gapCount]")).ToHaveTextAsync(Sum("gapCount").ToString());
        await Assertions.Expect(page.Locator("[data-tile=expiredCount]")).ToHaveTextAsync(Sum("expiredCount").ToString());
        await Assertions.Expect(page.Locator("[data-tile=engineerCount]")).ToHaveTextAsync(Sum("engineerCount").ToString());
        foreach (var t in teams)
        {
            var row = page.Locator($"tr[data-team-id='{t.GetProperty("id").GetInt32()}']");
            await Assertions.Expect(row.Locator("[data-field=gapCount]")).ToHaveTextAsync(t.GetProperty("gapCount").GetInt32().ToString());
            await Assertions.Expect(row.Locator("[data-field=heldCount]")).ToHaveTextAsync(t.GetProperty("heldCount").GetInt32().ToString());
        }
        await Assertions.Expect(page.Locator("svg.forecast title")).ToContainTextAsync("certifications expire in the next 12 months");
        await ShotAsync(page, "overview.png");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task Team_HeatMapMatchesTheApi_EscapesNames_AndMovesByKeyboard()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page);
        await page.ClickAsync("text=Platform");
        await page.WaitForURLAsync("**/teams/*");

        var platform = await (await fx.Admin.GetAsync($"/api/teams/{await TeamIdAsync("Platform")}/gaps")).JsonOf();
        foreach (var e in platform.GetProperty("engineers").EnumerateArray())
        {
            var row = page.Locator($"tr[data-employee='{e.GetProperty("employeeId").GetString()}']");
            foreach (var c in e.GetProperty("certifications").EnumerateArray())
            {
                var status = c.GetProperty("status").GetString()!;
                await Assertions.Expect(row.Locator($"td[data-cert='{c.GetProperty("id").GetString()}']")).ToContainTextAsync(status);
            }
        }
        // The imported name is shown as text; its script never ran.
        await Assertions.Expect(page.Locator("text=<img src=x onerror=window.__xss=1>")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));

        // Keyboard: one tab stop in the grid, arrows move between cells.
        var first = page.Locator("#heat tbody tr:first-child td:first-child");
        await first.FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => document.activeElement.cellIndex"));
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => document.activeElement.parentElement.rowIndex - 1"));
        // One Tab leaves the grid (the engineer links in the first column are not a tab stop each).
        await page.Keyboard.PressAsync("Tab");
        Assert.False(await page.EvaluateAsync<bool>("() => document.getElementById('heat').contains(document.activeElement)"));
        await page.Keyboard.PressAsync("Shift+Tab");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => document.activeElement.cellIndex")); // back on the cell it left
        // Enter on an engineer's cell opens their page.
        await page.Keyboard.PressAsync("Home");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForURLAsync("**/engineers/*");
        await page.GoBackAsync();
        // Filtering away the row that holds the tab stop moves it to the first row still shown, so the keyboard can
        // still reach the grid.
        await page.Locator("#heat tbody tr:first-child td:first-child").FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowLeft"); // the tab stop is on row 1
        await page.FillAsync("#engineer-filter", await page.Locator("#heat tbody tr:nth-child(2) td:first-child").InnerTextAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.querySelector('#heat tbody tr:first-child').hidden"));
        Assert.True(await page.EvaluateAsync<bool>("() => !document.querySelector('#heat tbody td[tabindex=\"0\"]').closest('tr').hidden"));
        await page.FillAsync("#engineer-filter", "");

        // Filter: only engineers with an expired certification stay.
        await page.SelectOptionAsync("#status-filter", "expired");
        var visible = await page.Locator("#heat tbody tr:visible").CountAsync();
        var expected = platform.GetProperty("engineers").EnumerateArray()
            .Count(e => e.GetProperty("certifications").EnumerateArray().Any(c => c.GetProperty("status").GetString() == "expired"));
        Assert.Equal(expected, visible);
        await page.SelectOptionAsync("#status-filter", "");
        await ShotAsync(page, "team-heatmap.png");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task CompletionRecordedElsewhere_UpdatesTheOpenPagesWithoutReload()
    {
        fx.SkipUnlessReady();
        var teamId = await TeamIdAsync("Data");
        var overview = await fx.NewPageAsync();
        await SignInWithPasswordAsync(overview);
        var team = await overview.Context.NewPageAsync();
        await team.GotoAsync($"/teams/{teamId}");
        await Assertions.Expect(team.Locator("#live-status")).ToHaveTextAsync("live");
        await Assertions.Expect(overview.Locator("#live-status")).ToHaveTextAsync("live");
        await team.EvaluateAsync("() => window.__notReloaded = true");
        var cell = team.Locator("tr[data-employee='E4'] td[data-cert='aiops-professional']");
        await Assertions.Expect(cell).ToContainTextAsync("missing");
        var gapsBefore = int.Parse(await overview.Locator($"tr[data-team-id='{teamId}'] [data-field=gapCount]").InnerTextAsync());

        // A second session (an L&D admin over the API) records a completion.
        var response = await fx.Admin.PostAsJsonAsync("/api/completions", new { employeeId = "E4", certification = "aiops-professional", earnedOn = "2026-05-30" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);

        await Assertions.Expect(cell).ToContainTextAsync("valid");
        await Assertions.Expect(overview.Locator($"tr[data-team-id='{teamId}'] [data-field=gapCount]")).ToHaveTextAsync((gapsBefore - 1).ToString());
        Assert.True(await team.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await ShotAsync(team, "team-after-live-update.png");
        await overview.Context.CloseAsync();
    }

    /// <summary>What a person reads on a team page, line by line: the manager, the tiles, every column header with its
    /// ⚠ and tooltip, every engineer's row (cells with their tooltips, statuses, next step) by employee id, whatever the
    /// order on screen, and the forecast.</summary>
    private static Task<string[]> TeamPageAsReadAsync(IPage page) => page.EvaluateAsync<string[]>(@"() => {
        const norm = s => (s || '').replace(/\s+/g, ' ').trim();
        const region = name => norm(document.querySelector(`[data-live-region=""${name}""]`).textContent);
        const classes = el => [...el.classList].filter(c => c !== 'flash').join(' ');
        const headers = [...document.querySelectorAll('#heat thead th')]
            .map(th => `column ${th.dataset.key}: ${norm(th.textContent)} | ${th.querySelector('button').title}`);
        const rows = [...document.querySelectorAll('#heat tbody tr')].map(r => `row ${r.dataset.employee} [${r.dataset.statuses}]: `
            + [...r.cells].map(td => `${norm(td.textContent)} (${classes(td)}; ${td.title})`).join(' / ')).sort();
        return [`manager: ${region('manager')}`, `tiles: ${region('tiles')}`, ...headers, ...rows, `forecast: ${region('forecast')}`];
    }");

    [SkippableFact]
    public async Task ImportElsewhere_LeavesTheOpenTeamPageAsAReloadShowsIt_KeepingSortFilterAndFocus()
    {
        fx.SkipUnlessReady();
        // A team of its own (the other tests change Platform and Data): two SREs, one holding AIOps Professional (so its
        // column has a ⚠), and a platform engineer; nothing held expires within 12 months.
        await ImportRosterAsync(
            "L1,Lia Lund,lia@example.com,Reliability,rel@example.com,Site Reliability Engineer",
            "L2,Leo Lamb,leo@example.com,Reliability,rel@example.com,Site Reliability Engineer",
            "L9,Zed Zane,zed@example.com,Reliability,rel@example.com,Platform Engineer");
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.UploadCsv("/api/imports/completions",
            Data.Lines("employee_id,certification,earned_on,expires_on", "L1,aiops-professional,2025-01-10,"), "c.csv")).StatusCode);
        var teamId = await TeamIdAsync("Reliability");

        var page = await LiveTeamPageAsync(teamId);
        await page.EvaluateAsync("() => window.__notReloaded = true");
        var professional = page.Locator("#heat thead th[data-key='aiops-professional']");
        await Assertions.Expect(professional).ToContainTextAsync("⚠");
        await Assertions.Expect(page.Locator("[data-live-region=forecast]")).ToContainTextAsync("Nothing held expires");
        // The person's view: engineers sorted by name, Z to A; only the SREs; the keyboard on Lia's AIOps Professional.
        await page.ClickAsync("#heat thead th[data-key='name'] button");
        await Assertions.Expect(page.Locator("#heat thead th[data-key='name']")).ToHaveAttributeAsync("aria-sort", "descending");
        await page.FillAsync("#engineer-filter", "site reliability");
        await page.Locator("tr[data-employee='L1'] td:first-child").FocusAsync();
        await page.Keyboard.PressAsync("ArrowRight");
        await page.Keyboard.PressAsync("ArrowRight");

        async Task AsAReloadShowsItAsync(string step)
        {
            var fresh = await page.Context.NewPageAsync();
            await fresh.GotoAsync($"/teams/{teamId}");
            Assert.Equal(await TeamPageAsReadAsync(fresh), await TeamPageAsReadAsync(page));
            await ShotAsync(page, $"team-live-{step}.png");
            await fresh.CloseAsync();
        }

        // 1. Leo gains AIOps Professional (its ⚠ goes) and the Architect certification that expires next month (the
        // forecast changes). Same engineers, same columns.
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.UploadCsv("/api/imports/completions", Data.Lines(
            "employee_id,certification,earned_on,expires_on",
            "L2,aiops-professional,2025-03-01,",
            "L2,aiops-architect,2023-07-01,"), "c.csv")).StatusCode);
        await Assertions.Expect(professional).Not.ToContainTextAsync("⚠");
        await Assertions.Expect(page.Locator("tr[data-employee='L2'] td[data-cert='aiops-architect']")).ToContainTextAsync("expiring");
        await AsAReloadShowsItAsync("completions");
        Assert.Equal("aiops-professional", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cert"));
        Assert.Equal("L1", await page.EvaluateAsync<string>("() => document.activeElement.closest('tr').dataset.employee"));

        // 2. A new engineer joins: the rows change, the table is replaced.
        await ImportRosterAsync("L3,Lou Lake,lou@example.com,Reliability,rel@example.com,Site Reliability Engineer");
        await Assertions.Expect(page.Locator("tr[data-employee='L3']")).ToHaveCountAsync(1);
        await AsAReloadShowsItAsync("new-engineer");

        // What the person set survived: the sort, the filter (Zed still hidden), the keyboard's place; no reload.
        await Assertions.Expect(page.Locator("#heat thead th[data-key='name']")).ToHaveAttributeAsync("aria-sort", "descending");
        await Assertions.Expect(page.Locator("#engineer-filter")).ToHaveValueAsync("site reliability");
        Assert.Equal(["L3", "L1", "L2"], await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#heat tbody tr')].filter(r => !r.hidden).map(r => r.dataset.employee)"));
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("3 of 4 shown");
        Assert.Equal("aiops-professional", await page.EvaluateAsync<string>("() => document.activeElement.dataset.cert"));
        Assert.Equal("L1", await page.EvaluateAsync<string>("() => document.activeElement.closest('tr').dataset.employee"));
        // The replaced grid still works: arrows move, a header sorts, the filter filters.
        await page.Keyboard.PressAsync("ArrowDown");
        Assert.Equal("L2", await page.EvaluateAsync<string>("() => document.activeElement.closest('tr').dataset.employee"));
        await page.ClickAsync("#heat thead th[data-key='name'] button");
        Assert.Equal(["L2", "L1", "L3"], await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#heat tbody tr')].filter(r => !r.hidden).map(r => r.dataset.employee)"));
        await page.FillAsync("#engineer-filter", "");
        await Assertions.Expect(page.Locator("#heat tbody tr:visible")).ToHaveCountAsync(4);
        await Assertions.Expect(page.Locator("#stale")).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.Context.CloseAsync();
    }

    /// <summary>What a person reads on the overview: the tiles, the forecast (each bar's month, value, peak mark and
    /// height, and the chart's summary), the trend (its summary and line), the teams not listed, and every team row by
    /// id, whatever the order on screen. The "n of m shown" count depends on the filter and is checked on its own.</summary>
    private static Task<string[]> OverviewAsReadAsync(IPage page) => page.EvaluateAsync<string[]>(@"() => {
        const norm = s => (s || '').replace(/\s+/g, ' ').trim();
        const [forecast, trend] = document.querySelectorAll('.charts figure');
        const bars = [...forecast.querySelectorAll('svg g')].map(g => `bar ${norm(g.querySelector('.m').textContent)}: `
            + `${norm(g.querySelector('.v').textContent)} (${g.getAttribute('class')}; ${g.querySelector('rect').getAttribute('height')})`);
        const rows = [...document.querySelectorAll('#teams-table tbody tr')].map(r => `team ${r.dataset.teamId}: `
            + [...r.cells].map(td => norm(td.textContent)).join(' / ')).sort();
        return [`tiles: ${norm(document.querySelector('section.tiles').textContent)}`, `forecast: ${norm(forecast.textContent)}`, ...bars,
            `trend: ${norm(trend.textContent)}`, `trend line: ${trend.querySelector('polyline')?.getAttribute('points')}`,
            `not listed: ${norm(document.getElementById('empty-teams')?.textContent)}`, ...rows];
    }");

    [SkippableFact]
    public async Task ImportElsewhere_LeavesTheOpenOverviewAsAReloadShowsIt_KeepingSortFilterAndFocus()
    {
        fx.SkipUnlessReady();
        var page = await LiveOverviewAsync();
        await page.EvaluateAsync("() => window.__notReloaded = true");
        var before = await OverviewAsReadAsync(page);
        // The person's view: teams Z to A, only max@example.com's, the cursor still in the filter box.
        await page.ClickAsync("#teams-table thead th:first-child button");
        await Assertions.Expect(page.Locator("#teams-table thead th:first-child")).ToHaveAttributeAsync("aria-sort", "descending");
        await page.FillAsync("#team-filter", "max@");
        var dataId = await TeamIdAsync("Data");

        // The trend is drawn from the nightly snapshots: yesterday's point, and the job's run for today, land while the
        // page is open (no push: the trend changes on the page with the next one, as a reload would show it).
        using (var scope = fx.App.Services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<Core.Data.TeamSkillsDbContext>();
            var today = scope.ServiceProvider.GetRequiredService<Web.Features.Platform.OrgClock>().Today;
            await db.CoverageSnapshots.Where(x => x.Date == today.AddDays(-1)).ExecuteDeleteAsync();
            db.CoverageSnapshots.Add(new Core.Tracking.CoverageSnapshot
            {
                Date = today.AddDays(-1), TeamId = dataId, EngineerCount = 2, RecommendedCount = 6, HeldCount = 1, CoveragePercent = 100 / 6.0,
            });
            await db.SaveChangesAsync();
            await scope.ServiceProvider.GetRequiredService<Web.Features.Jobs.CoverageSnapshotJob>().RunAsync(CancellationToken.None);
        }

        // Elsewhere: a roster import adds the team Horizon (max@example.com's), then a completions import gives its
        // engineer the Architect certification that expires next month (the forecast's July bar grows; coverage moves).
        await ImportRosterAsync("H1,Hal Hart,hal@example.com,Horizon,max@example.com,Site Reliability Engineer");
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.UploadCsv("/api/imports/completions", Data.Lines(
            "employee_id,certification,earned_on,expires_on", "H1,aiops-architect,2023-07-01,"), "c.csv")).StatusCode);
        var horizonId = await TeamIdAsync("Horizon");
        await fx.App.LiveIdleAsync();

        var fresh = await page.Context.NewPageAsync();
        await fresh.GotoAsync("/");
        var expected = await OverviewAsReadAsync(fresh);
        Assert.Contains($"team {horizonId}: Horizon / max@example.com / 1 / 4 / 1 / 3 / 1 / 0 / 0 / 25.0%", expected);
        Assert.NotEqual(before.Single(l => l.StartsWith("trend: ")), expected.Single(l => l.StartsWith("trend: ")));
        Assert.NotEqual(before.Single(l => l.StartsWith("bar Jul: ")), expected.Single(l => l.StartsWith("bar Jul: ")));
        // The open page catches up by itself; give its refetches a few seconds.
        var shown = before;
        for (var i = 0; i < 50 && !(shown = await OverviewAsReadAsync(page)).SequenceEqual(expected); i++) await page.WaitForTimeoutAsync(200);
        Assert.Equal(expected, shown);
        await ShotAsync(page, "overview-live-import.png");

        // What the person set survived: the sort (Horizon before Data), the filter and its count, the focus; no reload.
        await Assertions.Expect(page.Locator("#teams-table thead th:first-child")).ToHaveAttributeAsync("aria-sort", "descending");
        await Assertions.Expect(page.Locator("#team-filter")).ToHaveValueAsync("max@");
        Assert.Equal([horizonId.ToString(), dataId.ToString()], await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('#teams-table tbody tr')].filter(r => !r.hidden).map(r => r.dataset.teamId)"));
        await Assertions.Expect(page.Locator("[data-count-for=teams-table]"))
            .ToHaveTextAsync($"2 of {await fresh.Locator("#teams-table tbody tr").CountAsync()} shown");
        Assert.Equal("team-filter", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await Assertions.Expect(page.Locator("#stale")).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task BurstOfPushes_RefetchesTheTeamPageOnce_ThenOnceMore()
    {
        fx.SkipUnlessReady();
        await ImportRosterAsync("B1,Bea Burst,bea@example.com,Burst,burst@example.com,Site Reliability Engineer");
        var teamId = await TeamIdAsync("Burst");
        var page = await LiveTeamPageAsync(teamId);
        // Count the page's refetches and hold the first one open while the pushes arrive.
        await page.EvaluateAsync(@"teamId => {
            window.__pushes = 0;
            window.teamSkillsLive.on('gapSummaryUpdated', s => { if (s.teamId === teamId) window.__pushes++; });
            window.__refetches = 0;
            const gate = new Promise(open => window.__open = open);
            const fetch = window.fetch;
            window.fetch = async (url, init) => {
                if (String(url).startsWith('/teams/')) { window.__refetches++; await gate; }
                return fetch(url, init);
            };
        }", teamId);

        async Task RecordAsync(string cert)
        {
            var response = await fx.Admin.PostAsJsonAsync("/api/completions", new { employeeId = "B1", certification = cert, earnedOn = "2026-05-30" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            await fx.App.LiveIdleAsync(); // one push each
        }
        // The first push's refetch starts (after its random wait) and is held in flight while two more pushes arrive.
        await RecordAsync("aiops-professional");
        await page.WaitForFunctionAsync("() => window.__refetches === 1");
        await RecordAsync("aiops-architect");
        await RecordAsync("mlops-professional");
        await page.WaitForFunctionAsync("() => window.__pushes >= 3");
        Assert.Equal(1, await page.EvaluateAsync<int>("() => window.__refetches"));
        await page.EvaluateAsync("() => window.__open()");
        // The two pushes that came while it was in flight make one more refetch, after it.
        await Assertions.Expect(page.Locator("tr[data-employee='B1'] td[data-cert='mlops-professional']")).ToContainTextAsync("valid");
        await page.WaitForFunctionAsync("() => window.__refetches === 2");
        await page.WaitForTimeoutAsync(2000); // longer than a refetch's random wait (at most 1.5 s): no third one
        Assert.Equal(2, await page.EvaluateAsync<int>("() => window.__refetches"));
        await page.Context.CloseAsync();
    }

    /// <summary>Counts the page's refetches of its own path (fetch requests, as Chromium sends them).</summary>
    private static Func<int> CountRefetches(IPage page, string path)
    {
        var count = 0;
        page.Request += (_, r) => { if (r.ResourceType == "fetch" && new Uri(r.Url).AbsolutePath == path) Interlocked.Increment(ref count); };
        return () => Volatile.Read(ref count);
    }

    [SkippableFact]
    public async Task OpenPages_RefetchNothingForPushesTheyAlreadyShow_ButARealChangeStillUpdatesThem()
    {
        fx.SkipUnlessReady();
        await ImportRosterAsync(
            "Q1,Quinn Quill,quinn@example.com,Quiet,quiet@example.com,Site Reliability Engineer",
            "Q2,Quentin Quay,quentin@example.com,Quiet,quiet@example.com,Site Reliability Engineer");
        var teamId = await TeamIdAsync("Quiet");
        await fx.App.LiveIdleAsync();

        // An overview and the team's page, their refetches counted from before they first load.
        var overview = await fx.NewPageAsync();
        var overviewRefetches = CountRefetches(overview, "/");
        await SignInWithPasswordAsync(overview);
        var team = await overview.Context.NewPageAsync();
        var teamRefetches = CountRefetches(team, $"/teams/{teamId}");
        await team.GotoAsync($"/teams/{teamId}");
        await Assertions.Expect(overview.Locator("#live-status")).ToHaveTextAsync("live");
        await Assertions.Expect(team.Locator("#live-status")).ToHaveTextAsync("live");

        // The overview's connection drops and comes back: the server replays every team's summary, all as shown.
        await overview.EvaluateAsync(@"() => {
            window.__caughtUp = 0;
            window.teamSkillsLive.on('gapSummaryUpdated', () => window.__caughtUp++);
            return window.teamSkillsLive.connection.stop();
        }");
        await overview.WaitForFunctionAsync("() => window.__caughtUp > 0"); // all dispatched together, in one task
        await overview.WaitForTimeoutAsync(2500); // longer than a refetch's random wait (at most 1.5 s)
        Assert.Equal(0, overviewRefetches());
        Assert.Equal(0, teamRefetches());

        // A real change: the overview's row and the team page follow, the overview with one refetch. The person's sort
        // (teams Z to A) already has the rows in their place: none is moved.
        await overview.ClickAsync("#teams-table thead th:first-child button");
        await Assertions.Expect(overview.Locator("#teams-table thead th:first-child")).ToHaveAttributeAsync("aria-sort", "descending");
        await overview.EvaluateAsync(@"() => {
            window.__moves = 0;
            new MutationObserver(records => window.__moves += records.length)
                .observe(document.querySelector('#teams-table tbody'), { childList: true });
        }");
        var gaps = overview.Locator($"tr[data-team-id='{teamId}'] [data-field=gapCount]");
        var gapsBefore = int.Parse(await gaps.InnerTextAsync());
        var response = await fx.Admin.PostAsJsonAsync("/api/completions", new { employeeId = "Q1", certification = "aiops-professional", earnedOn = "2026-05-30" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        await Assertions.Expect(gaps).ToHaveTextAsync((gapsBefore - 1).ToString());
        await Assertions.Expect(team.Locator("tr[data-employee='Q1'] td[data-cert='aiops-professional']")).ToContainTextAsync("valid");
        Assert.Equal(1, overviewRefetches());
        Assert.Equal(1, teamRefetches());
        Assert.Equal(0, await overview.EvaluateAsync<int>("() => window.__moves"));
        await Assertions.Expect(overview.Locator("#stale")).ToBeHiddenAsync();
        await overview.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task SignedOutTeamPage_SaysReloadOnce_AndStopsRefetching()
    {
        fx.SkipUnlessReady();
        await ImportRosterAsync("G1,Gil Gone,gil@example.com,Gone,gone@example.com,Site Reliability Engineer");
        var teamId = await TeamIdAsync("Gone");
        Func<int> refetches = null!;
        var page = await LiveTeamPageAsync(teamId, p => refetches = CountRefetches(p, $"/teams/{teamId}"));
        await page.EvaluateAsync(@"teamId => {
            window.__pushes = 0;
            window.teamSkillsLive.on('gapSummaryUpdated', s => { if (s.teamId === teamId) window.__pushes++; });
        }", teamId);
        // Signed out (the cookie gone); the live connection, opened while signed in, stays until it closes.
        await page.Context.ClearCookiesAsync();

        async Task RecordAsync(string cert, int pushes)
        {
            var response = await fx.Admin.PostAsJsonAsync("/api/completions", new { employeeId = "G1", certification = cert, earnedOn = "2026-05-30" });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            await page.WaitForFunctionAsync("n => window.__pushes >= n", pushes);
        }
        await RecordAsync("aiops-professional", 1);
        await Assertions.Expect(page.Locator("#stale")).ToBeVisibleAsync();
        Assert.Equal(1, refetches());
        await RecordAsync("aiops-architect", 2);
        await RecordAsync("mlops-professional", 3);
        await page.WaitForTimeoutAsync(2000); // longer than a refetch's random wait (at most 1.5 s)
        Assert.Equal(1, refetches());
        await Assertions.Expect(page.Locator("#stale")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task TeamEmptiedAndRefilled_KeepsTheFilterItsFocusAndTheOpenForecastTable()
    {
        fx.SkipUnlessReady();
        // Ebb: one engineer, with a certification that expires next month (so the forecast has a table to open). Flow, where
        // she goes for a while, keeps an engineer of its own (the other tests expect every team listed on the overview).
        await ImportRosterAsync(
            "N1,Nora North,nora@example.com,Ebb,ebb@example.com,Site Reliability Engineer",
            "N2,Nils Noon,nils@example.com,Flow,ebb@example.com,Site Reliability Engineer");
        Assert.Equal(HttpStatusCode.OK, (await fx.Admin.UploadCsv("/api/imports/completions",
            Data.Lines("employee_id,certification,earned_on,expires_on", "N1,aiops-architect,2023-07-01,"), "c.csv")).StatusCode);
        var teamId = await TeamIdAsync("Ebb");
        var page = await LiveTeamPageAsync(teamId);
        await page.EvaluateAsync("() => window.__notReloaded = true");
        // The person's view: the forecast's table open, engineers with something expiring, "nora" typed, the cursor there.
        await page.ClickAsync("[data-live-region=forecast] details summary");
        await page.SelectOptionAsync("#status-filter", "expiring");
        await page.FillAsync("#engineer-filter", "nora");
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("1 of 1 shown");

        Task MoveNoraToAsync(string team) => ImportRosterAsync($"N1,Nora North,nora@example.com,{team},ebb@example.com,Site Reliability Engineer");
        await MoveNoraToAsync("Flow");
        await Assertions.Expect(page.Locator("[data-live-region=engineers]")).ToContainTextAsync("No active engineers");
        await Assertions.Expect(page.Locator("[data-live-region=forecast]")).ToContainTextAsync("Nothing held expires");
        // No table left to count: the count as served, not the "1 of 1 shown" of a table that is gone.
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("0 engineers");
        await MoveNoraToAsync("Ebb");
        await Assertions.Expect(page.Locator("tr[data-employee='N1']")).ToBeVisibleAsync();

        await Assertions.Expect(page.Locator("#engineer-filter")).ToHaveValueAsync("nora");
        await Assertions.Expect(page.Locator("#status-filter")).ToHaveValueAsync("expiring");
        Assert.Equal("engineer-filter", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("1 of 1 shown");
        await Assertions.Expect(page.Locator("[data-live-region=forecast] details")).ToHaveAttributeAsync("open", "");
        await Assertions.Expect(page.Locator("[data-live-region=forecast] details table")).ToBeVisibleAsync();
        await ShotAsync(page, "team-refilled.png");
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task Filters_IgnoreAccentsAndCase_AndSayWhenNothingMatches_ThroughLiveUpdates()
    {
        fx.SkipUnlessReady();
        await ImportRosterAsync("A1,Aiko García,aiko@example.com,Acentos,acentos@example.com,Site Reliability Engineer");
        var page = await LiveTeamPageAsync(await TeamIdAsync("Acentos"));
        await page.EvaluateAsync("() => window.__notReloaded = true");
        var none = page.Locator("[data-none-for=heat]");
        var aiko = page.Locator("tr[data-employee='A1']");
        await Assertions.Expect(none).ToBeHiddenAsync();

        foreach (var typed in new[] { "garcia", "GARCÍA", "Aiko Garcia" })
        {
            await page.FillAsync("#engineer-filter", typed);
            await Assertions.Expect(aiko).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("1 of 1 shown");
            await Assertions.Expect(none).ToBeHiddenAsync();
        }
        // Nothing matches: a line says so instead of a bare header.
        await page.FillAsync("#engineer-filter", "zoë");
        await Assertions.Expect(aiko).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("0 of 1 shown");
        await Assertions.Expect(none).ToHaveTextAsync("No engineer matches the filter.");
        await Assertions.Expect(none).ToBeVisibleAsync();
        // A live update brings an engineer the filter shows (accents folded on both sides): the line goes.
        await ImportRosterAsync("A2,Zoe Zúñiga,zoe@example.com,Acentos,acentos@example.com,Site Reliability Engineer");
        await Assertions.Expect(page.Locator("tr[data-employee='A2']")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-count-for=heat]")).ToHaveTextAsync("1 of 2 shown");
        await Assertions.Expect(none).ToBeHiddenAsync();
        await page.FillAsync("#engineer-filter", "nobody");
        await Assertions.Expect(none).ToBeVisibleAsync();
        await ShotAsync(page, "team-filter-none.png");
        await page.FillAsync("#engineer-filter", "");
        await Assertions.Expect(none).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));

        // The overview's teams table, same filter code.
        await page.GotoAsync("/");
        var noTeam = page.Locator("[data-none-for=teams-table]");
        await Assertions.Expect(noTeam).ToBeHiddenAsync();
        await page.FillAsync("#team-filter", "no such team");
        await Assertions.Expect(noTeam).ToHaveTextAsync("No team matches the filter.");
        await Assertions.Expect(noTeam).ToBeVisibleAsync();
        await ShotAsync(page, "overview-filter-none.png");
        await page.FillAsync("#team-filter", "ACENTÓS");
        await Assertions.Expect(page.Locator("#teams-table tbody tr:visible")).ToHaveCountAsync(1);
        await Assertions.Expect(noTeam).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    [SkippableTheory]
    [InlineData(390, 844)]
    [InlineData(1280, 900)]
    public async Task UsersPage_AddForm_PutsEachLabelAboveItsControl_AndSizesTheRoleSelectToItsOptions(int width, int height)
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync(width, height);
        await SignInWithPasswordAsync(page);
        await page.GotoAsync("/users");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        foreach (var id in new[] { "new-email", "new-role" })
        {
            // [label bottom, control top, horizontal overlap of the two]
            var m = await page.EvaluateAsync<double[]>($@"() => {{
                const l = document.querySelector('label[for={id}]').getBoundingClientRect(), c = document.getElementById('{id}').getBoundingClientRect();
                return [l.bottom, c.top, Math.min(l.right, c.right) - Math.max(l.left, c.left)];
            }}");
            Assert.True(m[0] <= m[1] + 1 && m[1] - m[0] < 12, $"the label of #{id} sits right above it ({m[0]} / {m[1]})");
            Assert.True(m[2] > 0, $"the label of #{id} is over its control, not beside another one");
        }
        Assert.InRange(await page.Locator("#new-role").EvaluateAsync<double>("s => s.getBoundingClientRect().width"), 60, 200);
        await ShotAsync(page, $"users-add-{width}.png");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task ManagersOpenOverview_DropsATeamARosterImportGivesToAnotherManager()
    {
        fx.SkipUnlessReady();
        var page = await LiveOverviewOfTwoTeamsAsync("moe@example.com",
            "M1,Mel Moor,mel@example.com,Moor,moe@example.com,Site Reliability Engineer",
            "M2,Max Marsh,max.marsh@example.com,Marsh,moe@example.com,Site Reliability Engineer");

        // Moor goes to another manager; Marsh's numbers, the only ones Moe still hears of, do not change.
        await ImportRosterAsync("M1,Mel Moor,mel@example.com,Moor,someone.else@example.com,Site Reliability Engineer");
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToContainTextAsync("Marsh");
        await Assertions.Expect(page.Locator("#stale")).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task ManagersOverview_OfflineWhileATeamLeavesTheirView_DropsItWhenBackOnline()
    {
        fx.SkipUnlessReady();
        var page = await LiveOverviewOfTwoTeamsAsync("wyn@example.com",
            "W1,Wes Weir,wes@example.com,Weir,wyn@example.com,Site Reliability Engineer",
            "W2,Wil Wold,wil@example.com,Wold,wyn@example.com,Site Reliability Engineer");

        // The connection drops and cannot come back for a while; meanwhile Weir goes to another manager, so no push and no
        // scopeChanged reaches this page, and Wold's numbers (all the catch-up will hold) do not change.
        await page.RouteAsync("**/hubs/gaps**", route => route.AbortAsync());
        await page.EvaluateAsync("() => window.teamSkillsLive.connection.stop()");
        await Assertions.Expect(page.Locator("#live-status")).Not.ToHaveTextAsync("live");
        await ImportRosterAsync("W1,Wes Weir,wes@example.com,Weir,someone.else@example.com,Site Reliability Engineer");
        await page.UnrouteAllAsync();

        var backOnline = new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 };
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToHaveCountAsync(1, backOnline);
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToContainTextAsync("Wold");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        await Assertions.Expect(page.Locator("#stale")).ToBeHiddenAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task ManagersEmptyOverview_GetsItsFirstTeam_WithTheFindForm()
    {
        fx.SkipUnlessReady();
        var page = await LiveManagerOverviewAsync("nia@example.com");
        await page.EvaluateAsync("() => window.__notReloaded = true");
        await Assertions.Expect(page.Locator("[data-live-region=empty]")).ToContainTextAsync("No teams in your view");
        await Assertions.Expect(page.Locator("#find")).ToHaveCountAsync(0);

        await ImportRosterAsync("F1,Fay First,fay@example.com,Firsts,nia@example.com,Site Reliability Engineer");
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToContainTextAsync("Firsts");
        await Assertions.Expect(page.Locator("form.find-engineer #find")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => window.__notReloaded === true"));
        await page.FillAsync("#find", "F1");
        await page.PressAsync("#find", "Enter");
        await page.WaitForURLAsync("**/engineers**");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Fay First");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task SignedInPage_KeepsOneLiveConnection_WhileItsCookieIsValid()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page);
        await page.GotoAsync($"/teams/{await TeamIdAsync("Platform")}");
        await Assertions.Expect(page.Locator("#live-status")).ToHaveTextAsync("live");
        await page.EvaluateAsync(@"() => {
            window.__liveId = window.teamSkillsLive.connection.connectionId;
            window.__drops = 0;
            window.teamSkillsLive.connection.onreconnecting(() => window.__drops++);
            window.teamSkillsLive.connection.onclose(() => window.__drops++);
        }");
        // The server checks every connection's sign-in expiry once a second: a few of its scans must pass.
        await page.WaitForTimeoutAsync(3500);
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.__drops"));
        Assert.True(await page.EvaluateAsync<bool>("() => window.teamSkillsLive.connection.connectionId === window.__liveId"),
            "the page is still on the connection it opened");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task Manager_SeesOnlyTheirTeam_AndCannotOpenAnother()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync();
        await SignInWithPasswordAsync(page, "mia@example.com", BrowserFixture.MiaPassword);
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#teams-table tbody tr")).ToContainTextAsync("Platform");
        var response = await page.GotoAsync($"/teams/{await TeamIdAsync("Data")}");
        Assert.Equal(404, response!.Status);
        response = await page.GotoAsync("/audit");
        Assert.Equal(403, response!.Status);
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task ImportsPage_PreviewsThenApplies_AndAnOpenOverviewHearsOfIt()
    {
        fx.SkipUnlessReady();
        var overview = await LiveOverviewAsync();
        var research = overview.Locator("#teams-table tbody tr", new() { HasText = "Research" });
        await Assertions.Expect(research).ToHaveCountAsync(0);

        var imports = await overview.Context.NewPageAsync();
        await imports.GotoAsync("/imports");
        var csv = Data.Lines(Data.RosterHeader, "R1,Rita Ruiz,rita@example.com,Research,rex@example.com,Data Engineer");
        await imports.SetInputFilesAsync("#roster-file", new FilePayload { Name = "research.csv", MimeType = "text/csv", Buffer = Data.Utf8(csv) });
        await imports.CheckAsync("input[name=mode][value=partial]");
        await imports.ClickAsync("text=Preview roster");
        await imports.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/imports/\\d+"));
        await Assertions.Expect(imports.Locator(".tile:has-text('created') .num")).ToHaveTextAsync("1");
        Assert.DoesNotContain(await TeamsAsync(), t => t.GetProperty("name").GetString() == "Research"); // a preview applies nothing
        await ShotAsync(imports, "import-preview.png");

        await imports.ClickAsync("text=Apply this roster");
        await imports.WaitForURLAsync(new System.Text.RegularExpressions.Regex("from="));
        Assert.Contains(await TeamsAsync(), t => t.GetProperty("name").GetString() == "Research");
        await Assertions.Expect(research).ToHaveCountAsync(1); // the open overview lists it, no reload
        await overview.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task OrgWorkbookInTheBackground_ShowsProgressThenADownload_ForTheRequesterOnly()
    {
        fx.SkipUnlessReady();
        var page = await LiveOverviewAsync();
        const string separator = "() => getComputedStyle(document.getElementById('org-job-status'), '::before').content";
        Assert.Equal("none", await page.EvaluateAsync<string>(separator)); // nothing to say yet: no dangling separator
        await page.ClickAsync("text=prepare the workbook in the background");
        var link = page.Locator("#org-job-download");
        try
        {
            await Assertions.Expect(link).ToBeVisibleAsync(new() { Timeout = 30_000 });
        }
        catch (PlaywrightException e)
        {
            throw new Xunit.Sdk.XunitException($"status: '{await page.Locator("#org-job-status").InnerTextAsync()}'; {e.Message}");
        }
        // A sentence of its own after the button (the separator comes from the stylesheet), saying which day it is of.
        var asOf = await page.InputValueAsync("#asOf");
        await Assertions.Expect(page.Locator("#org-job-status")).ToHaveTextAsync($"Organisation workbook as of {asOf} is ready: Download the workbook");
        Assert.Equal("\"· \"", await page.EvaluateAsync<string>(separator));
        await ShotAsync(page, "overview-org-job-ready.png");
        var href = await link.GetAttributeAsync("href");
        Assert.Matches("^/exports/jobs/[0-9a-f-]{36}/file$", href);
        // Without script the page is reloaded with the export's id: the same sentence, served.
        var viaReload = await page.Context.NewPageAsync();
        await viaReload.GotoAsync($"/?export={href!.Split('/')[3]}");
        await Assertions.Expect(viaReload.Locator("#org-job-status")).ToHaveTextAsync($"Organisation workbook as of {asOf} is ready: Download the workbook");
        await viaReload.CloseAsync();
        var file = await page.APIRequest.GetAsync(href!);
        Assert.Equal(200, file.Status);
        Assert.Contains("spreadsheetml", file.Headers["content-type"]);
        using (var book = new ClosedXML.Excel.XLWorkbook(new MemoryStream(await file.BodyAsync())))
            Assert.Contains(book.Worksheets.SelectMany(w => w.CellsUsed()), c => c.GetString() == "Platform");

        // Someone else, even signed in, cannot fetch it; a manager is not offered the org export at all.
        var mia = await fx.NewPageAsync();
        await SignInWithPasswordAsync(mia, "mia@example.com", BrowserFixture.MiaPassword);
        Assert.Equal(404, (await mia.APIRequest.GetAsync(href!)).Status);
        await Assertions.Expect(mia.Locator("#org-job")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
        await mia.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task CatalogFormRejectedFarDownThePage_IsScrolledIntoView_WithANoticeOnTop()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync(width: 1366, height: 800);
        await SignInWithPasswordAsync(page);
        await page.GotoAsync("/catalog");
        // The last role's card sits well below the first screen; add "nothing" to it.
        var card = page.Locator("section.card.role").Last;
        var name = await card.Locator("h3").InnerTextAsync();
        await card.Locator("form.add button[type=submit]").ClickAsync();
        await page.WaitForLoadStateAsync();
        await Assertions.Expect(page.Locator("p.error[role=alert]")).ToContainTextAsync($"Not saved: {name} has 1 problem");
        var rejected = page.Locator("section.card.role.rejected");
        await Assertions.Expect(rejected.Locator("ul.error")).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<double>("() => window.scrollY") > 0, "the page scrolled down to the rejected form");
        Assert.True(await rejected.EvaluateAsync<bool>("s => { const r = s.getBoundingClientRect(); return r.top < innerHeight && r.bottom > 0; }"),
            "the rejected role card is on screen");
        Assert.True(await rejected.EvaluateAsync<bool>("s => s.contains(document.activeElement)"), "focus is in the rejected form");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task PhoneWidth_HeatMapScrollsInItsBox_KeepingTheEngineerColumnInView()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync(width: 390, height: 844);
        await SignInWithPasswordAsync(page);
        await page.GotoAsync($"/teams/{await TeamIdAsync("Platform")}");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        // Scrolled to its far right, the box still shows each row's engineer at its left edge.
        var measured = await page.EvaluateAsync<double[]>(@"() => {
            const wrap = document.querySelector('#heat').parentElement;
            wrap.scrollLeft = wrap.scrollWidth;
            const name = document.querySelector('#heat tbody tr td');
            return [wrap.scrollLeft, name.getBoundingClientRect().left - wrap.getBoundingClientRect().left];
        }");
        Assert.True(measured[0] > 0, "the heat map is wider than a phone and scrolls inside its box");
        Assert.InRange(measured[1], -1, 2);
        await ShotAsync(page, "team-phone-scrolled.png");
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task PhoneWidth_KeepsDatesAndWordsWhole_OnTheEngineerAndTeamPages()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync(width: 390, height: 844);
        await SignInWithPasswordAsync(page);
        // "word:lines" for each word of the matched cells' text (":1" for every word when nothing breaks inside one).
        const string linesPerWord = @"selector => [...document.querySelectorAll(selector)].flatMap(cell => {
            const text = cell.firstChild?.nodeType === Node.TEXT_NODE ? cell.firstChild : cell.querySelector('a')?.firstChild;
            if (!text) return [];
            const out = []; let at = 0;
            for (const word of text.nodeValue.split(' ')) {
                const r = document.createRange(); r.setStart(text, at); r.setEnd(text, at + word.length); at += word.length + 1;
                // A word wider than the column (another test's hostile name, 20+ characters) has to break somewhere.
                if (word && word.length <= 14) out.push(word + ':' + new Set([...r.getClientRects()].map(x => Math.round(x.top))).size);
            }
            return out; })";
        await page.GotoAsync("/engineers/E1");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        var dates = await page.EvaluateAsync<string[]>(linesPerWord, "table.history td:nth-child(3)");
        Assert.NotEmpty(dates);
        Assert.All(dates, word => Assert.EndsWith(":1", word));
        await ShotAsync(page, "engineer-phone.png");

        await page.GotoAsync($"/teams/{await TeamIdAsync("Platform")}");
        var names = await page.EvaluateAsync<string[]>(linesPerWord, "#heat tbody td:first-child");
        Assert.NotEmpty(names);
        Assert.All(names, word => Assert.EndsWith(":1", word));

        // The heat map is wider than the phone: its box fades out on the right, which says there is more, until it is
        // scrolled to the end. "max/fade" after each scroll.
        const string fade = "async to => { const w = document.querySelector('#heat').closest('.table-wrap'); w.scrollLeft = to === 'end' ? w.scrollWidth : 0; " +
            "await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))); " +
            "return (w.scrollWidth - w.clientWidth > 0) + '/' + getComputedStyle(w).getPropertyValue('--fade-end'); }";
        Assert.Equal("true/40px", await page.EvaluateAsync<string>(fade, "start"));
        Assert.Equal("true/0px", await page.EvaluateAsync<string>(fade, "end"));
        Assert.Equal("true/40px", await page.EvaluateAsync<string>(fade, "start"));
        // A table that fits its box does not fade.
        await page.SetViewportSizeAsync(1600, 900);
        Assert.Equal("false/0px", await page.EvaluateAsync<string>(fade, "start"));
        await page.Context.CloseAsync();
    }

    [SkippableFact]
    public async Task TabletWidth_HasNoSidewaysScrollingPage()
    {
        fx.SkipUnlessReady();
        var page = await fx.NewPageAsync(width: 800, height: 1100);
        await SignInWithPasswordAsync(page);
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        await page.GotoAsync($"/teams/{await TeamIdAsync("Platform")}");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"));
        // Every heat-map column stays (each is a certification): the table scrolls inside its box instead.
        Assert.Equal(0, await page.EvaluateAsync<int>("() => [...document.querySelectorAll('#heat th')].filter(th => getComputedStyle(th).display === 'none').length"));
        Assert.True(await page.Locator("#heat thead th").CountAsync() >= 4);
        await ShotAsync(page, "team-tablet.png");
        await page.Context.CloseAsync();
    }
}
