using System.Text;

namespace TeamSkills.Tests.Integration;

/// <summary>Small, hand-checked organisations for the API tests.</summary>
public static class Data
{
    public const string RosterHeader = "employee_id,name,email,team,manager_email,title";

    /// <summary>
    /// Platform: E1 SRE, E2 Platform Engineer, E3 unmapped (Solutions Architect). Data: E4 Data Engineer, E5 DevOps Engineer.
    /// </summary>
    public static string Roster(params string[] extra) => Lines(
        [RosterHeader,
        "E1,Ann Archer,ann@example.com,Platform,mia@example.com,Senior Site Reliability Engineer",
        "E2,Bob Baker,bob@example.com,Platform,mia@example.com,Platform Engineer II",
        "E3,Cat Cole,cat@example.com,Platform,mia@example.com,Solutions Architect",
        "E4,Dan Dorn,dan@example.com,Data,max@example.com,Data Engineer",
        "E5,Eve Ellis,eve@example.com,Data,max@example.com,Jr. DevOps Engineer",
        .. extra]);

    /// <summary>As of 2026-06-01 (window 90 days → 2026-08-30).</summary>
    public static string Completions() => Lines(
        "employee_id,certification,earned_on,expires_on",
        // E1 (SRE: aiops-professional, aiops-architect, mlops-professional, aiops-specialist)
        "E1,AIOps Professional,2025-01-10,",                             // valid until 2028-01-10
        "E1,Certified AIOps Architect – Advanced Level,2023-07-01,",     // expires 2026-07-01: expiring
        "E1,mlops-professional,2022-01-01,2025-01-01",                   // expired
        // E2 (Platform: aiops-professional, aiops-architect, mlops-professional, mlops-advanced)
        "E2,aiops-professional,2024-02-01,",                             // valid
        "E2,MLOps Foundation,2024-03-01,",                               // not recommended, a prerequisite
        // E4 (Data: aiops-professional, mlops-foundation, dataops-specialist)
        "E4,Certified MLOps Engineer - Foundation,2024-05-05,",          // valid
        "E4,dataops-specialist,2023-01-01,2026-05-31");                  // expired

    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
