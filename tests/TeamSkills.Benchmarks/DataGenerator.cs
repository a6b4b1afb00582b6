using System.Globalization;
using System.Text;

namespace TeamSkills.Benchmarks;

/// <summary>The generated input files and what an import of them must report.</summary>
internal sealed record DataSet(string RosterPath, string CompletionsPath, int Engineers, int Teams, int Completions);

/// <summary>
/// Writes a deterministic roster and completion history as CSV. Rows are streamed to disk, never held as one
/// string, so generating 100k engineers leaves no large allocation behind to inflate the peak RSS of the imports.
/// </summary>
internal static class DataGenerator
{
    // Titles the catalog's alias table maps (after seniority words are dropped), and a few it does not (~2%).
    private static readonly string[] MappedTitles =
    [
        "Senior Site Reliability Engineer", "Site Reliability Engineer", "Platform Engineer", "Staff Platform Engineer",
        "DevOps Engineer II", "DevOps Engineer", "Data Engineer", "Cloud Engineer", "Senior Cloud Engineer",
        "Security Engineer", "FinOps Analyst", "Engineering Manager",
    ];
    private static readonly string[] UnmappedTitles = ["Technical Writer", "QA Analyst", "Solutions Architect", "Scrum Master"];

    internal static readonly string[] CertificationIds =
    [
        "aiops-foundation", "aiops-professional", "aiops-architect", "sre-aiops", "finops-aiops", "mlops-foundation",
        "mlops-professional", "mlops-advanced", "aiops-specialist", "dataops-specialist", "devsecops-specialist", "finops-specialist",
    ];

    private static readonly string[] FirstNames =
        ["Alex", "Sam", "Priya", "Chen", "Maria", "Jonas", "Aisha", "Lukas", "Emma", "Noah", "Yuki", "Omar", "Sofia", "Ivan", "Lena", "Raj"];
    private static readonly string[] LastNames =
        ["Smith", "Garcia", "Patel", "Wang", "Muller", "Silva", "Khan", "Novak", "Rossi", "Berg", "Tanaka", "Okafor", "Dubois", "Lee"];
    private static readonly string[] Areas = ["Payments", "Search", "Checkout", "Identity", "Observability", "Storage", "Networking", "Mobile"];

    public static DataSet Write(string dir, int engineers, int completionsPerEngineer, DateOnly today, int seed = 20_240_601)
    {
        var rng = new Random(seed);
        var teamCount = Math.Max(1, engineers / 50);
        var teamUsed = new bool[teamCount];
        var roster = Path.Combine(dir, "roster.csv");
        using (var w = new StreamWriter(roster, false, new UTF8Encoding(false), 1 << 16))
        {
            w.Write("employee_id,name,email,team,manager_email,title\n");
            for (var i = 1; i <= engineers; i++)
            {
                var team = rng.Next(teamCount);
                teamUsed[team] = true;
                var first = FirstNames[rng.Next(FirstNames.Length)];
                var last = LastNames[rng.Next(LastNames.Length)];
                var title = rng.NextDouble() < 0.02 ? UnmappedTitles[rng.Next(UnmappedTitles.Length)] : MappedTitles[rng.Next(MappedTitles.Length)];
                // Most report to the team's lead, some to a deputy: the import's team-manager vote has real work to do.
                var manager = rng.NextDouble() < 0.85 ? $"lead.{team}@example.com" : $"deputy.{team}@example.com";
                var email = $"{first}.{last}.{i}@example.com".ToLowerInvariant();
                w.Write(string.Create(CultureInfo.InvariantCulture,
                    $"{EmployeeId(i)},{first} {last},{email},{Areas[team % Areas.Length]} {team:D4},{manager},{title}\n"));
            }
        }

        // K per engineer on average (0..2K each); unique per (engineer, certification, earned_on); expires_on empty
        // so the import derives it from the catalog, as it does for most LMS exports.
        var completions = Path.Combine(dir, "completions.csv");
        var count = 0;
        var seen = new HashSet<(int Cert, int DaysAgo)>();
        using (var w = new StreamWriter(completions, false, new UTF8Encoding(false), 1 << 16))
        {
            w.Write("employee_id,certification,earned_on,expires_on\n");
            for (var i = 1; i <= engineers; i++)
            {
                seen.Clear();
                var n = rng.Next(0, 2 * completionsPerEngineer + 1);
                while (seen.Count < n)
                {
                    var pick = (Cert: rng.Next(CertificationIds.Length), DaysAgo: rng.Next(1, 4 * 365 + 1));
                    if (!seen.Add(pick)) continue;
                    w.Write(string.Create(CultureInfo.InvariantCulture,
                        $"{EmployeeId(i)},{CertificationIds[pick.Cert]},{today.AddDays(-pick.DaysAgo):yyyy-MM-dd},\n"));
                    count++;
                }
            }
        }
        return new DataSet(roster, completions, engineers, teamUsed.Count(u => u), count);
    }

    internal static string EmployeeId(int i) => string.Create(CultureInfo.InvariantCulture, $"E{i:D7}");
}
