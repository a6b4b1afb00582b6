using TeamSkills.Core.Gaps;

namespace TeamSkills.Tests.Unit;

public sealed class GapEngineTests
{
    private static readonly DateOnly D = new(2026, 6, 1);

    [Theory]
    [InlineData(null, CertStatus.Missing)]
    [InlineData("2026-05-31", CertStatus.Expired)]
    [InlineData("2026-06-01", CertStatus.Expired)]   // expires ≤ D
    [InlineData("2026-06-02", CertStatus.Expiring)]  // D < expires
    [InlineData("2026-08-30", CertStatus.Expiring)]  // expires ≤ D + 90
    [InlineData("2026-08-31", CertStatus.Valid)]     // expires > D + 90
    [InlineData("2030-01-01", CertStatus.Valid)]
    public void Classify_FollowsTheWindowBoundaries(string? expires, CertStatus expected)
    {
        DateOnly? date = expires is null ? null : DateOnly.Parse(expires);
        Assert.Equal(expected, GapEngine.Classify(date, D, 90));
    }

    [Fact]
    public void Classify_WithZeroWindow_HasNoExpiringState()
    {
        Assert.Equal(CertStatus.Valid, GapEngine.Classify(D.AddDays(1), D, 0));
        Assert.Equal(CertStatus.Expired, GapEngine.Classify(D, D, 0));
    }

    [Fact]
    public void Best_TakesTheLatestExpiry_AmongRecordsEarnedByTheDate()
    {
        Holding[] records =
        [
            new(new DateOnly(2020, 1, 1), new DateOnly(2023, 1, 1)),
            new(new DateOnly(2022, 1, 1), new DateOnly(2027, 1, 1)),
            new(new DateOnly(2026, 7, 1), new DateOnly(2029, 7, 1)), // earned after D: not yet
        ];
        Assert.Equal(new DateOnly(2027, 1, 1), GapEngine.Best(records, D)!.Value.ExpiresOn);
        Assert.Equal(new DateOnly(2029, 7, 1), GapEngine.Best(records, new DateOnly(2026, 7, 1))!.Value.ExpiresOn);
        Assert.Null(GapEngine.Best(records, new DateOnly(2019, 1, 1)));
        Assert.Null(GapEngine.Best([], D));
    }

    private static readonly Dictionary<string, CertRule> Catalog = new[]
    {
        new CertRule("a-foundation", "A Foundation", "Foundation", 1, 1, null, 30, 90),
        new CertRule("a-pro", "A Pro", "Professional", 2, 2, null, 60, 90),
        new CertRule("m-foundation", "M Foundation", "Foundation", 1, 6, null, 60, 90),
        new CertRule("m-pro", "M Pro", "Professional", 2, 7, "m-foundation", 60, 90),
        new CertRule("m-adv", "M Advanced", "Advanced", 3, 8, "m-pro", 60, 90),
        new CertRule("spec", "Spec", "Specialist", 4, 9, "m-pro", 30, 90),
    }.ToDictionary(c => c.Id);

    [Fact]
    public void NextStep_TakesTheSmallestOrder_TiesByCatalogOrder()
    {
        var next = GapEngine.NextStep(["m-foundation", "a-foundation", "a-pro"], _ => false, Catalog);
        Assert.Equal("a-foundation", next!.Id);
    }

    [Fact]
    public void NextStep_WhenThePrerequisiteIsNotHeld_GivesItInstead_Recursively()
    {
        // m-adv needs m-pro needs m-foundation: none held.
        Assert.Equal("m-foundation", GapEngine.NextStep(["m-adv"], _ => false, Catalog)!.Id);
        Assert.Equal("m-pro", GapEngine.NextStep(["m-adv"], id => id == "m-foundation", Catalog)!.Id);
        Assert.Equal("m-adv", GapEngine.NextStep(["m-adv"], id => id is "m-foundation" or "m-pro", Catalog)!.Id);
    }

    [Fact]
    public void NextStepAndTarget_NamesTheRecommendedCertificationAPrerequisiteLeadsTo()
    {
        var (step, target) = GapEngine.NextStepAndTarget(["m-adv", "spec"], id => id == "m-foundation", Catalog)!.Value;
        Assert.Equal(("m-pro", "m-adv"), (step.Id, target.Id));
        (step, target) = GapEngine.NextStepAndTarget(["m-adv"], id => id is "m-foundation" or "m-pro", Catalog)!.Value;
        Assert.Equal(("m-adv", "m-adv"), (step.Id, target.Id));
    }

    [Fact]
    public void NextStep_IsNull_WhenEverythingIsHeld_OrNothingRecommended()
    {
        Assert.Null(GapEngine.NextStep(["a-pro"], _ => true, Catalog));
        Assert.Null(GapEngine.NextStep([], _ => false, Catalog));
    }

    [Fact]
    public void NextStep_SurvivesAPrerequisiteCycle()
    {
        var cyclic = new Dictionary<string, CertRule>
        {
            ["x"] = new("x", "X", "L", 1, 1, "y", 1, 90),
            ["y"] = new("y", "Y", "L", 1, 2, "x", 1, 90),
        };
        Assert.NotNull(GapEngine.NextStep(["x"], _ => false, cyclic));
    }

    [Fact]
    public void Plan_OrdersByRecommendedOrder_PutsPrerequisitesFirst_AndAddsUpDays()
    {
        var held = new HashSet<string> { "a-foundation" };
        var plan = GapEngine.Plan(["a-foundation", "a-pro", "spec", "m-adv"],
            id => held.Contains(id) ? CertStatus.Valid : CertStatus.Missing, Catalog);
        Assert.Equal(["a-pro", "m-foundation", "m-pro", "m-adv", "spec"], plan.Select(p => p.Id));
        Assert.Equal([60, 120, 180, 240, 270], plan.Select(p => p.CumulativePreparationDays));
        Assert.Equal("prerequisite of M Pro", plan[1].Reason);
        Assert.Equal("recommended for the role", plan[3].Reason);
        // The plan starts where the next step points.
        Assert.Equal(GapEngine.NextStep(["a-foundation", "a-pro", "spec", "m-adv"], held.Contains, Catalog)!.Id, plan[0].Id);
    }

    [Fact]
    public void Plan_IncludesExpiredRecommendations_ButNotExpiringOnes()
    {
        var plan = GapEngine.Plan(["a-foundation", "a-pro"],
            id => id == "a-foundation" ? CertStatus.Expired : CertStatus.Expiring, Catalog);
        var step = Assert.Single(plan);
        Assert.Equal(CertStatus.Expired, step.Status);
    }

    [Fact]
    public void Tally_CountsEveryStatus_AndRoundsCoverageToOneDecimal()
    {
        var t = new TeamTally();
        t.AddEngineer(mapped: true);
        t.AddEngineer(mapped: false);
        foreach (var s in new[] { CertStatus.Valid, CertStatus.Expiring, CertStatus.Expired, CertStatus.Missing, CertStatus.Missing, CertStatus.Valid })
            t.AddStatus(s);
        Assert.Equal((2, 6, 3, 3, 1, 1, 1), (t.EngineerCount, t.RecommendedCount, t.HeldCount, t.GapCount, t.ExpiringSoonCount, t.ExpiredCount, t.UnmappedCount));
        Assert.Equal(50.0, t.CoveragePercent);
        Assert.Equal(33.3, TeamTally.CoverageOf(1, 3));
        Assert.Equal(66.7, TeamTally.CoverageOf(2, 3));
        Assert.Equal(0, TeamTally.CoverageOf(0, 0));
    }

    [Fact]
    public void ExpiringLabel_NamesTheDays_OnlyWhenEveryWindowIsTheSame()
    {
        Assert.Equal("expiring in 90 days", ExpiringLabel.For([90, 90, 90]));
        Assert.Equal("expiring in 30 days", ExpiringLabel.For([30, 30]));
        Assert.Equal("expiring within their renewal window", ExpiringLabel.For([90, 30, 90]));
        Assert.Equal("expiring within their renewal window", ExpiringLabel.For([0]));
        Assert.Equal("expiring in 90 days", ExpiringLabel.For([]));
    }
}
