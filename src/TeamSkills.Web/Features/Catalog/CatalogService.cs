using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Live;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Catalog;

/// <summary>
/// The outcome of a catalog write: the value on success, otherwise field errors (422) or a missing target (404).
/// The API maps it to ProblemDetails, the page to its form errors.
/// </summary>
public sealed record CatalogResult<T>(T? Value, IReadOnlyDictionary<string, string[]> Errors, string? NotFound = null) where T : class
{
    public bool Succeeded => Value is not null;

    public static CatalogResult<T> Ok(T value) => new(value, new Dictionary<string, string[]>());
    public static CatalogResult<T> Invalid(Dictionary<string, string[]> errors) => new(null, errors);
    public static CatalogResult<T> Missing(string detail) => new(null, new Dictionary<string, string[]>(), detail);
}

public sealed record CertificationEdited(
    string Id, int ValidityMonths, int RenewalWindowDays, int RecommendedOrder, string? HardPrerequisite, int PreparationDays,
    RenewalBase RenewalBase);

/// <summary>One line of a role's mapping: a certification (id, name or long form) and an optional focus.</summary>
public sealed record RoleCertificationInput(string? Certification, string? Focus);

public sealed record AliasMapping(AliasMapped Result, bool Created);

/// <summary>
/// The catalog's reads and writes, shared by the API and the catalog page so both validate, audit, bump the data
/// version and tell live dashboards the same way. Each write is one transaction; changes are published after commit.
/// </summary>
public sealed class CatalogService(TeamSkillsDbContext db, AuditLog audit, OrgClock clock, GapChanges changes)
{
    public const int MaxFocusLength = 128;

    public async Task<IReadOnlyList<CertificationView>> CertificationsAsync(CancellationToken ct)
    {
        var certs = await db.Certifications.AsNoTracking().OrderBy(c => c.CatalogOrder).ToListAsync(ct);
        return certs.Select(c => new CertificationView(c.Id, c.Name, c.Program, c.Level, c.RecommendedOrder, c.CatalogOrder,
            c.HardPrerequisiteId, c.Track, c.WhoFor, c.ExperiencePrerequisites,
            c.Skills.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            c.PreparationDays, c.PreparationNote, c.ValidityMonths, c.RenewalWindowDays, c.RenewalBase,
            c.Aliases.Split('|', StringSplitOptions.RemoveEmptyEntries))).ToList();
    }

    public async Task<IReadOnlyList<RoleView>> RolesAsync(CancellationToken ct)
    {
        var certs = await db.Certifications.AsNoTracking().ToDictionaryAsync(c => c.Id, ct);
        // Text is ordered here, ordinally, not by the database's collation: the same order on every provider.
        var roles = (await db.JobRoles.AsNoTracking().Include(r => r.Certifications).ToListAsync(ct))
            .OrderBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal).ToList();
        var aliases = (await db.RoleAliases.AsNoTracking().ToListAsync(ct)).OrderBy(a => a.NormalizedTitle, StringComparer.Ordinal).ToList();
        return roles.Select(r => ToView(r, certs, aliases.Where(a => a.RoleId == r.Id).Select(a => a.NormalizedTitle).ToList())).ToList();
    }

    public async Task<IReadOnlyList<UnmappedTitle>> UnmappedAsync(CallerScope scope, CancellationToken ct)
    {
        var rows = await db.Engineers.AsNoTracking().Where(e => e.Active && e.RoleId == null)
            .Join(db.Teams, e => e.TeamId, t => t.Id, (e, t) => new { e.NormalizedTitle, e.Title, TeamId = t.Id, Team = t.Name })
            .ToListAsync(ct);
        return rows.Where(r => scope.CanSeeTeam(r.TeamId))
            .GroupBy(r => r.NormalizedTitle)
            .Select(g => new UnmappedTitle(g.Key,
                g.GroupBy(x => x.Title).OrderByDescending(x => x.Count()).ThenBy(x => x.Key, StringComparer.Ordinal) // not the rows' order
                    .Select(x => x.Key).Take(5).ToList(),
                g.Count(),
                g.Select(x => x.Team).Distinct().Order().Take(5).ToList()))
            .OrderByDescending(u => u.EngineerCount).ThenBy(u => u.NormalizedTitle)
            .ToList();
    }

    public async Task<CatalogResult<CertificationEdited>> EditCertificationAsync(string id, EditCertification body, string actor, CancellationToken ct)
    {
        var certs = await db.Certifications.ToListAsync(ct);
        var cert = certs.FirstOrDefault(c => c.Id == id);
        if (cert is null) return CatalogResult<CertificationEdited>.Missing($"No certification '{id}'.");
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
        if (errors.Count > 0) return CatalogResult<CertificationEdited>.Invalid(errors);

        var before = Snapshot(cert);
        cert.ValidityMonths = body.ValidityMonths ?? cert.ValidityMonths;
        cert.RenewalWindowDays = body.RenewalWindowDays ?? cert.RenewalWindowDays;
        cert.RecommendedOrder = body.RecommendedOrder ?? cert.RecommendedOrder;
        cert.PreparationDays = body.PreparationDays ?? cert.PreparationDays;
        cert.RenewalBase = body.RenewalBase ?? cert.RenewalBase;
        if (body.HardPrerequisite is not null) cert.HardPrerequisiteId = body.HardPrerequisite;
        else if (body.ClearHardPrerequisite == true) cert.HardPrerequisiteId = null;
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
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
            var after = Snapshot(cert);
            audit.Add(actor, "catalog.edited", $"certification {id}", "Applied", new { before, after });
            await db.SaveChangesAsync(ct);
            await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
        }
        changes.Publish(DataChange.Everything("catalog"));
        return CatalogResult<CertificationEdited>.Ok(new CertificationEdited(cert.Id, cert.ValidityMonths, cert.RenewalWindowDays,
            cert.RecommendedOrder, cert.HardPrerequisiteId, cert.PreparationDays, cert.RenewalBase));
    }

    /// <summary>
    /// Replaces a role's recommended certifications with <paramref name="lines"/> (in any order: display order is the
    /// catalog's). Unknown certifications and duplicates reject the whole edit.
    /// </summary>
    public async Task<CatalogResult<RoleView>> EditRoleCertificationsAsync(string roleId, IReadOnlyList<RoleCertificationInput>? lines,
        string actor, CancellationToken ct)
    {
        var role = await db.JobRoles.Include(r => r.Certifications).FirstOrDefaultAsync(r => r.Id == roleId, ct);
        if (role is null) return CatalogResult<RoleView>.Missing($"No role '{roleId}'.");
        var certs = await db.Certifications.AsNoTracking().ToDictionaryAsync(c => c.Id, ct);
        var matcher = new CertificationNameMatcher(certs.Values);

        var errors = new Dictionary<string, List<string>>();
        void Error(string field, string message) =>
            (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);
        if (lines is null) Error("certifications", "A list of {certification, focus} is required (an empty list clears the role).");
        var wanted = new List<RoleCertification>();
        foreach (var (line, i) in (lines ?? []).Select((l, i) => (l, i + 1)))
        {
            var focus = string.IsNullOrWhiteSpace(line?.Focus) ? null : line.Focus.Trim();
            if (string.IsNullOrWhiteSpace(line?.Certification)) { Error("certification", $"Item {i} has no certification."); continue; }
            if (matcher.Match(line.Certification) is not { } certId)
            {
                Error("certification", $"Unknown certification '{line.Certification}'.");
                continue;
            }
            if (focus?.Length > MaxFocusLength) Error("focus", $"The focus for '{certs[certId].Name}' is longer than {MaxFocusLength} characters.");
            if (wanted.Any(w => w.CertificationId == certId))
            {
                Error("certification", $"'{certs[certId].Name}' is listed more than once.");
                continue;
            }
            wanted.Add(new RoleCertification { RoleId = role.Id, CertificationId = certId, Focus = focus });
        }
        if (errors.Count > 0) return CatalogResult<RoleView>.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));

        var before = Lines(role.Certifications, certs);
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            foreach (var old in role.Certifications.ToList())
            {
                var keep = wanted.FirstOrDefault(w => w.CertificationId == old.CertificationId);
                if (keep is null) role.Certifications.Remove(old);
                else old.Focus = keep.Focus;
            }
            role.Certifications.AddRange(wanted.Where(w => role.Certifications.All(c => c.CertificationId != w.CertificationId)));
            audit.Add(actor, "role.mapping.edited", $"role {role.Id}", "Applied",
                new { role = role.Id, before, after = Lines(role.Certifications, certs) });
            await db.SaveChangesAsync(ct);
            await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
        }
        changes.Publish(DataChange.Everything("catalog"));
        var aliases = (await db.RoleAliases.AsNoTracking().Where(a => a.RoleId == role.Id).Select(a => a.NormalizedTitle).ToListAsync(ct))
            .Order(StringComparer.Ordinal).ToList();
        return CatalogResult<RoleView>.Ok(ToView(role, certs, aliases));
    }

    /// <summary>Maps a job title to a role; every engineer with that normalised title takes the role at once.</summary>
    public async Task<CatalogResult<AliasMapping>> MapAliasAsync(MapAlias body, string actor, CancellationToken ct)
    {
        var key = TitleNormalizer.Normalize(body.Title);
        var roles = (await db.JobRoles.AsNoTracking().ToListAsync(ct)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var role = roles.FirstOrDefault(r => string.Equals(r.Id, body.Role?.Trim(), StringComparison.OrdinalIgnoreCase)
                                             || string.Equals(r.Name, body.Role?.Trim(), StringComparison.OrdinalIgnoreCase));
        var errors = new Dictionary<string, string[]>();
        if (key.Length == 0) errors["title"] = ["title is required and must contain letters or digits."];
        else if (key.Length > 200) errors["title"] = ["title is longer than 200 characters."];
        if (role is null) errors["role"] = [$"Unknown role '{body.Role}'. Known roles: {string.Join(", ", roles.Select(r => r.Name))}."];
        if (errors.Count > 0) return CatalogResult<AliasMapping>.Invalid(errors);

        bool created;
        int remapped;
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            var alias = await db.RoleAliases.FirstOrDefaultAsync(a => a.NormalizedTitle == key, ct);
            created = alias is null;
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
            remapped = await db.Engineers.Where(e => e.NormalizedTitle == key && (e.RoleId == null || e.RoleId != role.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(e => e.RoleId, role.Id), ct);
            audit.Add(actor, "alias.mapped", $"title '{key}'", "Applied", new { title = body.Title, normalizedTitle = key, role = role.Id, remapped });
            await db.SaveChangesAsync(ct);
            await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
        }
        changes.Publish(DataChange.Everything("alias"));
        return CatalogResult<AliasMapping>.Ok(new AliasMapping(new AliasMapped(body.Title!.Trim(), key, role.Id, role.Name, remapped), created));
    }

    private static object Snapshot(Certification c) => new
    {
        c.ValidityMonths, c.RenewalWindowDays, c.RecommendedOrder, HardPrerequisite = c.HardPrerequisiteId, c.PreparationDays, c.RenewalBase,
    };

    private static List<RoleCertificationInput> Lines(IEnumerable<RoleCertification> mapped, IReadOnlyDictionary<string, Certification> certs) =>
        mapped.OrderBy(c => certs[c.CertificationId].CatalogOrder).Select(c => new RoleCertificationInput(c.CertificationId, c.Focus)).ToList();

    private static RoleView ToView(Role r, IReadOnlyDictionary<string, Certification> certs, IReadOnlyList<string> aliases) =>
        new(r.Id, r.Name,
            r.Certifications.OrderBy(c => certs[c.CertificationId].CatalogOrder)
                .Select(c => new RoleCertificationView(c.CertificationId, certs[c.CertificationId].Name, c.Focus)).ToList(),
            aliases);
}
