using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Data;

namespace TeamSkills.Core.Catalog;

/// <summary>The catalog and role table as shipped in catalog.json, written to an empty database once.</summary>
public static class CatalogSeed
{
    public sealed record SeedFile(SeedDefaults Defaults, List<SeedCertification> Certifications, List<SeedRole> Roles,
        Dictionary<string, List<string>> TitleAliases);
    public sealed record SeedDefaults(int ValidityMonths, int RenewalWindowDays, RenewalBase RenewalBase);
    public sealed record SeedCertification(string Id, string Name, string Program, string Level, int RecommendedOrder,
        string? HardPrerequisite, string Track, string WhoFor, string ExperiencePrerequisites, string Skills,
        int PreparationDays, string PreparationNote, List<string> Aliases, int? ValidityMonths, int? RenewalWindowDays);
    public sealed record SeedRole(string Id, string Name, List<SeedRoleCertification> Certifications);
    public sealed record SeedRoleCertification(string Id, string? Focus);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public static SeedFile Load()
    {
        using var stream = typeof(CatalogSeed).Assembly.GetManifestResourceStream("TeamSkills.Core.Catalog.catalog.json")
            ?? throw new InvalidOperationException("catalog.json is not embedded in TeamSkills.Core.");
        return JsonSerializer.Deserialize<SeedFile>(stream, Json) ?? throw new InvalidOperationException("catalog.json is empty.");
    }

    public static IEnumerable<Certification> Certifications(SeedFile seed) =>
        seed.Certifications.Select((c, i) => new Certification
        {
            Id = c.Id, Name = c.Name, Program = c.Program, Level = c.Level,
            RecommendedOrder = c.RecommendedOrder, CatalogOrder = i + 1, HardPrerequisiteId = c.HardPrerequisite,
            Track = c.Track, WhoFor = c.WhoFor, ExperiencePrerequisites = c.ExperiencePrerequisites, Skills = c.Skills,
            PreparationDays = c.PreparationDays, PreparationNote = c.PreparationNote,
            ValidityMonths = c.ValidityMonths ?? seed.Defaults.ValidityMonths,
            RenewalWindowDays = c.RenewalWindowDays ?? seed.Defaults.RenewalWindowDays,
            RenewalBase = seed.Defaults.RenewalBase,
            Aliases = string.Join('|', c.Aliases),
        });

    /// <summary>Seeds an empty catalog; a catalog that already has rows belongs to its editors and is left alone.</summary>
    public static async Task<bool> SeedAsync(TeamSkillsDbContext db, TimeProvider time, CancellationToken ct = default)
    {
        // Under the writer lock: instances starting at once on an empty database seed once, the others find it done.
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        if (await db.Certifications.AnyAsync(ct)) return false;
        var seed = Load();
        db.Certifications.AddRange(Certifications(seed));
        foreach (var role in seed.Roles)
        {
            db.JobRoles.Add(new Role
            {
                Id = role.Id, Name = role.Name,
                Certifications = role.Certifications
                    .Select(c => new RoleCertification { RoleId = role.Id, CertificationId = c.Id, Focus = c.Focus }).ToList(),
            });
        }
        var now = time.GetUtcNow();
        var aliases = new Dictionary<string, RoleAlias>(StringComparer.Ordinal);
        void Alias(string title, string roleId)
        {
            var key = TitleNormalizer.Normalize(title);
            if (key.Length > 0)
                aliases.TryAdd(key, new RoleAlias { NormalizedTitle = key, RoleId = roleId, BuiltIn = true, CreatedBy = "catalog.json", CreatedAt = now });
        }
        foreach (var role in seed.Roles)
        {
            Alias(role.Name, role.Id);
            Alias(role.Id.Replace('-', ' '), role.Id);
        }
        foreach (var (roleName, titles) in seed.TitleAliases)
        {
            var role = seed.Roles.Single(r => TitleNormalizer.Normalize(r.Name) == TitleNormalizer.Normalize(roleName));
            foreach (var t in titles) Alias(t, role.Id);
        }
        db.RoleAliases.AddRange(aliases.Values);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        return true;
    }
}
