using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;

namespace TeamSkills.Tests.Unit;

public sealed class TitleNormalizerTests
{
    [Theory]
    [InlineData("Site Reliability Engineer", "site reliability engineer")]
    [InlineData("Sr. Site-Reliability Engineer II", "site reliability engineer")]
    [InlineData("  SENIOR   DevOps   Engineer ", "devops engineer")]
    [InlineData("Jr DevOps Engineer 3", "devops engineer")]
    [InlineData("Principal Platform Engineer (IV)", "platform engineer")]
    [InlineData("Lead Data Engineer", "data engineer")]
    [InlineData("Chief Architect", "architect")]
    [InlineData("Staff Software Engineer", "software engineer")]
    [InlineData("Engineer 10", "engineer 10")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void Normalize_DropsSeniorityAndPunctuation(string? title, string expected) =>
        Assert.Equal(expected, TitleNormalizer.Normalize(title));

    [Fact]
    public void SeededAliases_MapTheObviousSynonyms()
    {
        var seed = CatalogSeed.Load();
        var sreAliases = seed.TitleAliases["sre"].Select(TitleNormalizer.Normalize).ToList();
        Assert.Contains(TitleNormalizer.Normalize("Senior Site Reliability Engineer"), sreAliases);
    }
}

public sealed class CertificationNameMatcherTests
{
    private static readonly CertificationNameMatcher Matcher = new(CatalogSeed.Certifications(CatalogSeed.Load()));

    [Theory]
    [InlineData("mlops-professional", "mlops-professional")]
    [InlineData("MLOps Professional", "mlops-professional")]
    [InlineData("Certified MLOps Engineer – Professional", "mlops-professional")]
    [InlineData("Certified MLOps Engineer - Professional", "mlops-professional")]
    [InlineData("certified mlops engineer—professional", "mlops-professional")]
    [InlineData("  Certified   MLOps Engineer ‒  Professional ", "mlops-professional")]
    [InlineData("Certified AIOps Architect – Foundation Level", "aiops-foundation")]
    [InlineData("CERTIFIED AIOPS ARCHITECT - ADVANCED LEVEL", "aiops-architect")]
    [InlineData("AIOps Architect", "aiops-architect")]
    [InlineData("Specialized FinOps-AIOps", "finops-aiops")]
    [InlineData("FinOps – AIOps", "finops-aiops")]
    [InlineData("SRE-AIOps", "sre-aiops")]
    [InlineData("DataOps Specialist", "dataops-specialist")]
    public void Match_IgnoresCaseSpacesAndDashKind(string text, string expected) => Assert.Equal(expected, Matcher.Match(text));

    [Theory]
    [InlineData("Kubernetes Administrator")]
    [InlineData("Certified AIOps Architect")] // the program, not one certification
    [InlineData("")]
    [InlineData(null)]
    public void Match_UnknownOrAmbiguous_IsNull(string? text) => Assert.Null(Matcher.Match(text));

    [Fact]
    public void Match_WhereTwoCertificationsReadAlike_TheEarlierInTheCatalogWins_InWhateverOrderTheyCome()
    {
        var seed = CatalogSeed.Certifications(CatalogSeed.Load()).ToList();
        var (first, second) = (seed[0], seed[1]);
        second.Aliases += "|" + first.Name.ToUpperInvariant(); // an L&D edit that makes a name ambiguous
        seed.Reverse(); // rows as a database may return them, e.g. PostgreSQL after an update
        Assert.Equal(first.Id, new CertificationNameMatcher(seed).Match(first.Name));
    }
}

public sealed class ExpiryRulesTests
{
    [Fact]
    public void DeriveExpiry_FromCompletionDate_AddsValidity()
    {
        Assert.Equal(new DateOnly(2027, 3, 1), ExpiryRules.DeriveExpiry(new DateOnly(2024, 3, 1), 36, RenewalBase.CompletionDate, new DateOnly(2025, 1, 1)));
        // Month ends clamp: 29 Feb + 36 months.
        Assert.Equal(new DateOnly(2027, 2, 28), ExpiryRules.DeriveExpiry(new DateOnly(2024, 2, 29), 36, RenewalBase.CompletionDate, null));
    }

    [Fact]
    public void DeriveExpiry_FromPreviousExpiry_ExtendsAnEarlyRenewal()
    {
        var earned = new DateOnly(2026, 5, 1);
        Assert.Equal(new DateOnly(2029, 7, 1), ExpiryRules.DeriveExpiry(earned, 36, RenewalBase.PreviousExpiry, new DateOnly(2026, 7, 1)));
        // A lapsed certification restarts from the new completion.
        Assert.Equal(new DateOnly(2029, 5, 1), ExpiryRules.DeriveExpiry(earned, 36, RenewalBase.PreviousExpiry, new DateOnly(2026, 1, 1)));
        Assert.Equal(new DateOnly(2029, 5, 1), ExpiryRules.DeriveExpiry(earned, 36, RenewalBase.PreviousExpiry, null));
    }

    [Fact]
    public void Explain_SaysWhereTheDateCameFrom()
    {
        Assert.Equal("expires 2027-03-01: earned 2024-03-01 + 36 months validity",
            ExpiryRules.Explain(new DateOnly(2024, 3, 1), new DateOnly(2027, 3, 1), derived: true, 36));
        Assert.Contains("as recorded", ExpiryRules.Explain(new DateOnly(2024, 3, 1), new DateOnly(2026, 3, 1), derived: false, 36));
    }
}
