using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Catalog;

public sealed record CertificationView(
    string Id, string Name, string Program, string Level, int RecommendedOrder, int CatalogOrder, string? HardPrerequisite,
    string Track, string WhoFor, string ExperiencePrerequisites, string[] Skills, int PreparationDays, string PreparationNote,
    int ValidityMonths, int RenewalWindowDays, RenewalBase RenewalBase, string[] Aliases);

public sealed record RoleCertificationView(string Id, string Name, string? Focus);

public sealed record RoleView(string Id, string Name, IReadOnlyList<RoleCertificationView> Certifications, IReadOnlyList<string> Aliases);

public sealed record UnmappedTitle(string NormalizedTitle, IReadOnlyList<string> Titles, int EngineerCount, IReadOnlyList<string> Teams);

public sealed record MapAlias(string? Title, string? Role);

/// <summary>A partial edit of one certification: only the fields given change.</summary>
public sealed record EditCertification(
    int? ValidityMonths, int? RenewalWindowDays, int? RecommendedOrder, string? HardPrerequisite, bool? ClearHardPrerequisite,
    int? PreparationDays, RenewalBase? RenewalBase);

public sealed record AliasMapped(string Title, string NormalizedTitle, string RoleId, string Role, int RemappedEngineers);

public static class CatalogEndpoints
{
    public static RouteGroupBuilder MapCatalog(this RouteGroupBuilder api)
    {
        api.MapGet("/catalog/certifications", async (TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var certs = await db.Certifications.AsNoTracking().OrderBy(c => c.CatalogOrder).ToListAsync(ct);
            return certs.Select(c => new CertificationView(c.Id, c.Name, c.Program, c.Level, c.RecommendedOrder, c.CatalogOrder,
                c.HardPrerequisiteId, c.Track, c.WhoFor, c.ExperiencePrerequisites,
                c.Skills.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                c.PreparationDays, c.PreparationNote, c.ValidityMonths, c.RenewalWindowDays, c.RenewalBase,
                c.Aliases.Split('|', StringSplitOptions.RemoveEmptyEntries))).ToList();
        }).WithTags("Catalog");

        api.MapPut("/catalog/certifications/{id}", async (string id, EditCertification body, TeamSkillsDbContext db, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var certs = await db.Certifications.ToListAsync(ct);
            var cert = certs.FirstOrDefault(c => c.Id == id);
            if (cert is null) return Results.Problem(statusCode: 404, title: "Certification not found", detail: $"No certification '{id}'.");
            var errors = new Dictionary<string, string[]>();
            if (body.ValidityMonths is < 1 or > 120) errors["validityMonths"] = ["validityMonths must be between 1 and 120."];
            if (body.RenewalWindowDays is < 0 or > 365) errors["renewalWindowDays"] = ["renewalWindowDays must be between 0 and 365."];
            if (body.RecommendedOrder is < 1 or > 99) errors["recommendedOrder"] = ["recommendedOrder must be between 1 and 99."];
            if (body.PreparationDays is < 0 or > 3650) errors["preparationDays"] = ["preparationDays must be between 0 and 3650."];
            if (body.HardPrerequisite is { } pre)
            {
                var byId = certs.ToDictionary(c => c.Id);
                if (!byId.ContainsKey(pre)) errors["hardPrerequisite"] = [$"Unknown certification '{pre}'."];
                else
                {
                    // Walk the chain from the new prerequisite: reaching this certification again would be a cycle.
                    for (string? cur = pre; cur is not null; cur = byId[cur].HardPrerequisiteId)
                    {
                        if (cur == id) { errors["hardPrerequisite"] = ["That prerequisite would make a cycle."]; break; }
                    }
                }
            }
            if (errors.Count > 0) return Results.ValidationProblem(errors, statusCode: 422, title: "Edit rejected");

            var before = new { cert.ValidityMonths, cert.RenewalWindowDays, cert.RecommendedOrder, HardPrerequisite = cert.HardPrerequisiteId, cert.PreparationDays, cert.RenewalBase };
            cert.ValidityMonths = body.ValidityMonths ?? cert.ValidityMonths;
            cert.RenewalWindowDays = body.RenewalWindowDays ?? cert.RenewalWindowDays;
            cert.RecommendedOrder = body.RecommendedOrder ?? cert.RecommendedOrder;
            cert.PreparationDays = body.PreparationDays ?? cert.PreparationDays;
            cert.RenewalBase = body.RenewalBase ?? cert.RenewalBase;
            if (body.HardPrerequisite is not null) cert.HardPrerequisiteId = body.HardPrerequisite;
            else if (body.ClearHardPrerequisite == true) cert.HardPrerequisiteId = null;
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            if (body.ValidityMonths is not null || body.RenewalBase is not null)
            {
                // Expiries that were derived from the old validity follow the new one; recorded ones stay as recorded.
                var records = await db.Completions.Where(c => c.CertificationId == id)
                    .OrderBy(c => c.EngineerId).ThenBy(c => c.EarnedOn).ToListAsync(ct);
                DateOnly? previous = null;
                var engineer = -1;
                foreach (var r in records)
                {
                    if (r.EngineerId != engineer) (previous, engineer) = (null, r.EngineerId);
                    if (r.ExpiryDerived) r.ExpiresOn = ExpiryRules.DeriveExpiry(r.EarnedOn, cert.ValidityMonths, cert.RenewalBase, previous);
                    if (previous is null || r.ExpiresOn > previous) previous = r.ExpiresOn;
                }
            }
            audit.Add(CallerScope.From(http.User).Actor, "catalog.edited", $"certification {id}", "Applied", new
            {
                before,
                after = new { cert.ValidityMonths, cert.RenewalWindowDays, cert.RecommendedOrder, HardPrerequisite = cert.HardPrerequisiteId, cert.PreparationDays, cert.RenewalBase },
            });
            await db.SaveChangesAsync(ct);
            await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
            return Results.Ok(new { cert.Id, cert.ValidityMonths, cert.RenewalWindowDays, cert.RecommendedOrder,
                HardPrerequisite = cert.HardPrerequisiteId, cert.PreparationDays, cert.RenewalBase });
        }).WithTags("Catalog").RequireAuthorization(AccessSetup.WritePolicy);

        api.MapGet("/catalog/roles", async (TeamSkillsDbContext db, CancellationToken ct) =>
        {
            var certs = await db.Certifications.AsNoTracking().ToDictionaryAsync(c => c.Id, ct);
            var roles = await db.JobRoles.AsNoTracking().Include(r => r.Certifications).OrderBy(r => r.Name).ToListAsync(ct);
            var aliases = await db.RoleAliases.AsNoTracking().OrderBy(a => a.NormalizedTitle).ToListAsync(ct);
            return roles.Select(r => new RoleView(r.Id, r.Name,
                r.Certifications.OrderBy(c => certs[c.CertificationId].CatalogOrder)
                    .Select(c => new RoleCertificationView(c.CertificationId, certs[c.CertificationId].Name, c.Focus)).ToList(),
                aliases.Where(a => a.RoleId == r.Id).Select(a => a.NormalizedTitle).ToList())).ToList();
        }).WithTags("Catalog");

        api.MapGet("/roles/unmapped", async (TeamSkillsDbContext db, ScopeService scopes, HttpContext http, CancellationToken ct) =>
        {
            var scope = await scopes.ForAsync(http.User, ct);
            var rows = await db.Engineers.AsNoTracking().Where(e => e.Active && e.RoleId == null)
                .Join(db.Teams, e => e.TeamId, t => t.Id, (e, t) => new { e.NormalizedTitle, e.Title, TeamId = t.Id, Team = t.Name })
                .ToListAsync(ct);
            return rows.Where(r => scope.CanSeeTeam(r.TeamId))
                .GroupBy(r => r.NormalizedTitle)
                .Select(g => new UnmappedTitle(g.Key,
                    g.GroupBy(x => x.Title).OrderByDescending(x => x.Count()).Select(x => x.Key).Take(5).ToList(),
                    g.Count(),
                    g.Select(x => x.Team).Distinct().Order().Take(5).ToList()))
                .OrderByDescending(u => u.EngineerCount).ThenBy(u => u.NormalizedTitle)
                .ToList();
        }).WithTags("Catalog");

        api.MapPost("/roles/aliases", async (MapAlias body, TeamSkillsDbContext db, OrgClock clock, AuditLog audit, HttpContext http, CancellationToken ct) =>
        {
            var key = TitleNormalizer.Normalize(body.Title);
            var roles = await db.JobRoles.AsNoTracking().ToListAsync(ct);
            var role = roles.FirstOrDefault(r => string.Equals(r.Id, body.Role?.Trim(), StringComparison.OrdinalIgnoreCase)
                                                 || string.Equals(r.Name, body.Role?.Trim(), StringComparison.OrdinalIgnoreCase));
            var errors = new Dictionary<string, string[]>();
            if (key.Length == 0) errors["title"] = ["title is required and must contain letters or digits."];
            else if (key.Length > 200) errors["title"] = ["title is longer than 200 characters."];
            if (role is null) errors["role"] = [$"Unknown role '{body.Role}'. Known roles: {string.Join(", ", roles.Select(r => r.Name))}."];
            if (errors.Count > 0) return Results.ValidationProblem(errors, statusCode: 422, title: "Alias rejected");

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var alias = await db.RoleAliases.FirstOrDefaultAsync(a => a.NormalizedTitle == key, ct);
            var actor = CallerScope.From(http.User).Actor;
            if (alias is null)
                db.RoleAliases.Add(new RoleAlias { NormalizedTitle = key, RoleId = role!.Id, CreatedBy = actor, CreatedAt = clock.Now });
            else
            {
                alias.RoleId = role!.Id;
                alias.CreatedBy = actor;
                alias.CreatedAt = clock.Now;
                alias.BuiltIn = false;
            }
            await db.SaveChangesAsync(ct);
            // Mapping a title re-computes at once: every engineer with that normalised title takes the role.
            var remapped = await db.Engineers.Where(e => e.NormalizedTitle == key && (e.RoleId == null || e.RoleId != role.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.RoleId, role.Id), ct);
            audit.Add(actor, "alias.mapped", $"title '{key}'", "Applied", new { title = body.Title, normalizedTitle = key, role = role.Id, remapped });
            await db.SaveChangesAsync(ct);
            await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
            var result = new AliasMapped(body.Title!.Trim(), key, role.Id, role.Name, remapped);
            return alias is null ? Results.Created($"/api/catalog/roles", result) : Results.Ok(result);
        }).WithTags("Catalog").RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }
}
