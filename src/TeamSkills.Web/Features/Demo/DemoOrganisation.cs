using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Demo;

/// <summary>
/// A made-up organisation (eight teams, their managers and a director) with completions spread so that every
/// status shows: valid, expiring, expired and missing, plus two unmapped titles to triage. It goes through the
/// same import code as a real upload, so the import history shows it too. Loaded only with --demo on an empty roster.
/// </summary>
public static class DemoOrganisation
{
    private sealed record Member(string Title, string RoleId);

    private static readonly (string Team, string Manager, Member[] Members)[] Teams =
    [
        ("Platform", "Grace Hopper", [new("Senior Platform Engineer", "platform-engineer"), new("Platform Engineer", "platform-engineer"),
            new("Platform Engineer II", "platform-engineer"), new("DevOps Engineer", "devops-engineer"), new("Staff Platform Engineer", "platform-engineer"),
            new("Junior DevOps Engineer", "devops-engineer"), new("Platform Engineer", "platform-engineer"), new("Solutions Architect", "")]),
        ("Site Reliability", "Margaret Hamilton", [new("Site Reliability Engineer", "sre"), new("Sr. Site Reliability Engineer", "sre"),
            new("SRE II", "sre"), new("Site-Reliability Engineer", "sre"), new("Principal SRE", "sre"), new("Reliability Engineer", "sre"),
            new("SRE", "sre"), new("Production Engineer", "sre"), new("Site Reliability Engineer III", "sre")]),
        ("Data Platform", "Edgar Codd", [new("Data Engineer", "data-engineer"), new("Senior Data Engineer", "data-engineer"),
            new("Data Engineer II", "data-engineer"), new("Analytics Engineer", "data-engineer"), new("DataOps Engineer", "data-engineer"),
            new("Data Engineer", "data-engineer"), new("QA Analyst", "")]),
        ("Cloud Infrastructure", "Radia Perlman", [new("Cloud Engineer", "cloud-engineer"), new("Senior Cloud Engineer", "cloud-engineer"),
            new("Cloud Infrastructure Engineer", "cloud-engineer"), new("Cloud Engineer I", "cloud-engineer"), new("Lead Cloud Engineer", "cloud-engineer"),
            new("Cloud Operations Engineer", "cloud-engineer"), new("DevOps Engineer", "devops-engineer"), new("Cloud Engineer", "cloud-engineer")]),
        ("Security", "Whitfield Diffie", [new("Security Engineer", "security-engineer"), new("Senior Security Engineer", "security-engineer"),
            new("Application Security Engineer", "security-engineer"), new("DevSecOps Engineer", "security-engineer"),
            new("Security Engineer II", "security-engineer"), new("Cloud Security Engineer", "security-engineer")]),
        ("FinOps", "Ada Lovelace", [new("FinOps Analyst", "finops-practitioner"), new("FinOps Practitioner", "finops-practitioner"),
            new("Senior FinOps Analyst", "finops-practitioner"), new("Cloud Cost Analyst", "finops-practitioner")]),
        ("Delivery Engineering", "Barbara Liskov", [new("DevOps Engineer", "devops-engineer"), new("Senior DevOps Engineer", "devops-engineer"),
            new("Release Engineer", "devops-engineer"), new("DevOps Engineer II", "devops-engineer"), new("Build and Release Engineer", "devops-engineer"),
            new("Platform Engineer", "platform-engineer"), new("DevOps Engineer", "devops-engineer")]),
        ("ML Engineering", "Geoffrey Hinton", [new("Senior Platform Engineer", "platform-engineer"), new("Data Engineer", "data-engineer"),
            new("Site Reliability Engineer", "sre"), new("DevOps Engineer", "devops-engineer"), new("Platform Engineer", "platform-engineer"),
            new("Cloud Engineer", "cloud-engineer")]),
    ];

    private static readonly string[] FirstNames =
    [
        "Alex", "Priya", "Jonas", "Mei", "Carlos", "Fatima", "Noah", "Aiko", "Liam", "Zara", "Mateo", "Ingrid", "Kofi", "Sofia", "Ravi",
        "Elena", "Tomás", "Hana", "Omar", "Lena", "Yusuf", "Chloé", "Arjun", "Maja", "Diego", "Nora", "Kenji", "Amara", "Felix", "Leila",
    ];

    private static readonly string[] LastNames =
    [
        "Andersen", "Banerjee", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ivanova", "Jensen", "Kowalski", "Larsen",
        "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt", "Tanaka", "Usman", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang",
    ];

    public static async Task LoadIfEmptyAsync(IServiceProvider services, ILogger log, CancellationToken ct = default)
    {
        using var scope = services.CreateScope();
        var sp = scope.ServiceProvider;
        var db = sp.GetRequiredService<TeamSkillsDbContext>();
        if (await db.Engineers.AnyAsync(ct))
        {
            log.LogInformation("Demo organisation not loaded: the roster already has engineers.");
            return;
        }
        var today = sp.GetRequiredService<OrgClock>().Today;
        var roles = CatalogSeed.Load().Roles.ToDictionary(r => r.Id, r => r.Certifications.Select(c => c.Id).ToArray());
        var (roster, completions) = Build(today, roles);

        var rosterResult = await sp.GetRequiredService<RosterImport>().ExecuteAsync(
            new ImportRequest(Encoding.UTF8.GetBytes(roster), "demo-roster.csv", "text/csv", "full", false, "demo"), ct);
        var completionResult = await sp.GetRequiredService<CompletionImport>().ExecuteAsync(
            new ImportRequest(Encoding.UTF8.GetBytes(completions), "demo-completions.csv", "text/csv", "partial", false, "demo"), ct);
        if (rosterResult.StatusCode != 200 || completionResult.StatusCode != 200)
            throw new InvalidOperationException("The demo organisation failed to import: " +
                string.Join("; ", rosterResult.Response.Errors.Concat(completionResult.Response.Errors).Take(5)));
        log.LogInformation("Demo organisation loaded: {Engineers} engineers, {Completions} completions.",
            rosterResult.Response.Created, completionResult.Response.Created);
    }

    public static (string Roster, string Completions) Build(DateOnly today, IReadOnlyDictionary<string, string[]> roles)
    {
        var random = new Random(20261127);
        var roster = new StringBuilder("employee_id,name,email,team,manager_email,title\n");
        var completions = new StringBuilder("employee_id,certification,earned_on,expires_on\n");
        const string director = "dana.director@example.com";
        var n = 1000;
        var usedNames = new HashSet<string>();

        string Person()
        {
            while (true)
            {
                var name = $"{FirstNames[random.Next(FirstNames.Length)]} {LastNames[random.Next(LastNames.Length)]}";
                if (usedNames.Add(name)) return name;
            }
        }

        static string Email(string name) => name.ToLowerInvariant()
            .Normalize(NormalizationForm.FormD).Where(c => CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            .Aggregate(new StringBuilder(), (sb, c) => sb.Append(c == ' ' ? '.' : c)).ToString() + "@example.com";

        void Completions(string id, string roleId)
        {
            if (!roles.TryGetValue(roleId, out var certs)) return;
            foreach (var cert in certs)
            {
                var roll = random.NextDouble();
                DateOnly earned;
                if (roll < 0.45) earned = today.AddDays(-random.Next(30, 900));                // valid
                else if (roll < 0.60) earned = today.AddMonths(-36).AddDays(random.Next(1, 89)); // expiring within 90 days
                else if (roll < 0.70) earned = today.AddMonths(-36).AddDays(-random.Next(1, 200)); // expired
                else continue;                                                                     // missing
                completions.Append(CultureInfo.InvariantCulture, $"{id},{cert},{earned:yyyy-MM-dd},\n");
            }
        }

        roster.Append(CultureInfo.InvariantCulture, $"E{n++},Dana Director,{director},Leadership,,Head of Engineering\n");
        foreach (var (team, managerName, members) in Teams)
        {
            var managerEmail = Email(managerName);
            usedNames.Add(managerName);
            var managerId = $"E{n++}";
            roster.Append(CultureInfo.InvariantCulture, $"{managerId},{managerName},{managerEmail},Leadership,{director},Engineering Manager\n");
            Completions(managerId, "engineering-manager");
            foreach (var member in members)
            {
                var name = Person();
                var id = $"E{n++}";
                roster.Append(CultureInfo.InvariantCulture, $"{id},{name},{Email(name)},{team},{managerEmail},{member.Title}\n");
                Completions(id, member.RoleId);
            }
        }
        return (roster.ToString(), completions.ToString());
    }
}
