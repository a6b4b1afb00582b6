using Microsoft.EntityFrameworkCore;
using TeamSkills.Core.Catalog;
using TeamSkills.Core.Completions;
using TeamSkills.Core.Data;
using TeamSkills.Web.Features.Access;
using TeamSkills.Web.Features.Audit;
using TeamSkills.Web.Features.Gaps;
using TeamSkills.Web.Features.Imports;
using TeamSkills.Web.Features.Live;
using TeamSkills.Web.Features.Platform;

namespace TeamSkills.Web.Features.Completions;

public sealed record RecordCompletion(string? EmployeeId, string? Certification, string? EarnedOn, string? ExpiresOn);

/// <summary>What recording or removing a completion came to: the status, field errors (422; by the API's field names, and
/// as <paramref name="Problems"/>, the same sentences in the form's words), and the API's answer body.</summary>
public sealed record CompletionChange(int Status, IDictionary<string, string[]>? Errors = null, object? Body = null, string? EmployeeId = null,
    IReadOnlyList<string>? Problems = null);

/// <summary>
/// Records or removes one completion for the API (<see cref="CompletionEndpoints"/>) and the engineer page alike: the
/// same checks (scope, certification by name or id, dates), the same derived expiry, audit entry, index update and
/// live push. The caller has already been authorised to write (Admin, L&amp;D).
/// </summary>
public sealed class CompletionWriter(TeamSkillsDbContext db, OrgClock clock, AuditLog audit, GapIndex index, GapChanges changes)
{
    public async Task<CompletionChange> RecordAsync(CallerScope scope, RecordCompletion body, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var problems = new List<string>();
        // Each reason twice: naming the API's fields (errors) and the engineer page's labels (problems, also the API's detail).
        void Fail(string field, Func<Func<string, string>, string> reason)
        {
            errors[field] = [reason(f => f)];
            var said = reason(f => FormLabels[f]);
            problems.Add(char.ToUpperInvariant(said[0]) + said[1..]);
        }
        var engineer = string.IsNullOrWhiteSpace(body.EmployeeId) ? null
            : await db.Engineers.AsNoTracking().FirstOrDefaultAsync(e => e.EmployeeId == body.EmployeeId.Trim(), ct);
        if (string.IsNullOrWhiteSpace(body.EmployeeId)) Fail("employeeId", n => $"{n("employeeId")} is required.");
        else if (engineer is null || !scope.CanSeeTeam(engineer.TeamId)) Fail("employeeId", _ => $"Unknown engineer '{body.EmployeeId}'.");

        var certs = await db.Certifications.AsNoTracking().ToListAsync(ct);
        var certId = new CertificationNameMatcher(certs).Match(body.Certification);
        if (string.IsNullOrWhiteSpace(body.Certification)) Fail("certification", n => $"{n("certification")} is required.");
        else if (certId is null) Fail("certification", _ => $"Unknown certification '{body.Certification}'.");

        var earned = body.EarnedOn is null ? null : CompletionImport.ParseDate(body.EarnedOn);
        if (earned is null) Fail("earnedOn", n => $"{n("earnedOn")} is required as YYYY-MM-DD.");
        else if (earned > clock.Today) Fail("earnedOn", n => $"{n("earnedOn")} {earned:yyyy-MM-dd} is in the future.");
        DateOnly? expires = null;
        if (!string.IsNullOrWhiteSpace(body.ExpiresOn))
        {
            expires = CompletionImport.ParseDate(body.ExpiresOn);
            if (expires is null) Fail("expiresOn", n => $"{n("expiresOn")} must be YYYY-MM-DD.");
            else if (earned is not null && expires <= earned)
                Fail("expiresOn", n => $"{n("expiresOn")} ({expires:yyyy-MM-dd}) must be after {n("earnedOn")} ({earned:yyyy-MM-dd}).");
        }
        if (errors.Count > 0) return new CompletionChange(422, errors, Problems: problems);

        var cert = certs.Single(c => c.Id == certId);
        var previous = await db.Completions.Where(c => c.EngineerId == engineer!.Id && c.CertificationId == cert.Id && c.EarnedOn < earned!.Value)
            .Select(c => (DateOnly?)c.ExpiresOn).MaxAsync(ct);
        var expiresOn = expires ?? ExpiryRules.DeriveExpiry(earned!.Value, cert.ValidityMonths, cert.RenewalBase, previous);
        var existing = await db.Completions.FirstOrDefaultAsync(c => c.EngineerId == engineer!.Id && c.CertificationId == cert.Id && c.EarnedOn == earned, ct);
        var created = existing is null;
        if (existing is null)
        {
            existing = new Completion
            {
                EngineerId = engineer!.Id, CertificationId = cert.Id, EarnedOn = earned!.Value, ExpiresOn = expiresOn,
                ExpiryDerived = expires is null, RecordedBy = scope.Actor, RecordedAt = clock.Now,
            };
            db.Completions.Add(existing);
        }
        else if (existing.ExpiresOn != expiresOn)
        {
            existing.ExpiresOn = expiresOn;
            existing.ExpiryDerived = expires is null;
        }
        var changed = db.ChangeTracker.HasChanges();
        if (changed)
        {
            await using var tx = await db.BeginWriteTransactionAsync(ct);
            await db.SaveChangesAsync(ct);
            audit.Add(scope.Actor, created ? "completion.added" : "completion.updated", $"{engineer!.EmployeeId}/{cert.Id}", "Applied",
                new { completionId = existing.Id, employeeId = engineer.EmployeeId, certification = cert.Id, existing.EarnedOn, existing.ExpiresOn });
            await db.SaveChangesAsync(ct);
            var version = await db.BumpDataVersionAsync(ct);
            await tx.CommitAsync(ct);
            // Committed: the index update and the push must happen even if the caller has gone.
            await index.ApplyEngineersAsync(db, version, [engineer.Id], CancellationToken.None);
            changes.Publish(DataChange.Engineers("completion", engineer.Id));
        }
        var record = new CompletionRecord(existing.Id, cert.Id, cert.Name, existing.EarnedOn, existing.ExpiresOn, existing.ExpiryDerived,
            ExpiryRules.Explain(existing.EarnedOn, existing.ExpiresOn, existing.ExpiryDerived, cert.ValidityMonths));
        var response = new { employeeId = engineer!.EmployeeId, completion = record, created, changed };
        return new CompletionChange(created ? 201 : 200, Body: response, EmployeeId: engineer.EmployeeId);
    }

    /// <summary>The engineer page's labels for the fields (lower case: a reason may name one mid-sentence).</summary>
    private static readonly Dictionary<string, string> FormLabels = new()
    {
        ["employeeId"] = "employee id", ["certification"] = "certification", ["earnedOn"] = "earned on", ["expiresOn"] = "expires on",
    };

    public async Task<CompletionChange> RemoveAsync(CallerScope scope, long id, CancellationToken ct)
    {
        var completion = await db.Completions.FirstOrDefaultAsync(c => c.Id == id, ct);
        var teamId = completion is null ? (int?)null
            : await db.Engineers.Where(e => e.Id == completion.EngineerId).Select(e => (int?)e.TeamId).FirstOrDefaultAsync(ct);
        if (completion is null || teamId is null || !scope.CanSeeTeam(teamId.Value)) return new CompletionChange(404);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        db.Completions.Remove(completion);
        audit.Add(scope.Actor, "completion.removed", $"completion {id}", "Applied",
            new { completionId = id, engineerId = completion.EngineerId, certification = completion.CertificationId, completion.EarnedOn, completion.ExpiresOn });
        await db.SaveChangesAsync(ct);
        var version = await db.BumpDataVersionAsync(ct);
        await tx.CommitAsync(ct);
        await index.ApplyEngineersAsync(db, version, [completion.EngineerId], CancellationToken.None);
        changes.Publish(DataChange.Engineers("completion", completion.EngineerId));
        return new CompletionChange(204);
    }
}

public static class CompletionEndpoints
{
    public static RouteGroupBuilder MapCompletions(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/completions").WithTags("Completions").RequireAuthorization(AccessSetup.WritePolicy);

        group.MapPost("", async (RecordCompletion body, CompletionWriter writer, HttpContext http, CancellationToken ct) =>
        {
            var change = await writer.RecordAsync(CallerScope.From(http.User), body, ct);
            return change.Status switch
            {
                422 => Results.ValidationProblem(change.Errors!, detail: string.Join(" ", change.Problems!), statusCode: 422, title: "Completion rejected"),
                201 => Results.Created($"/api/engineers/{Uri.EscapeDataString(change.EmployeeId!)}", change.Body),
                _ => Results.Ok(change.Body),
            };
        });

        group.MapDelete("/{id:long}", async (long id, CompletionWriter writer, HttpContext http, CancellationToken ct) =>
            (await writer.RemoveAsync(CallerScope.From(http.User), id, ct)).Status == 204
                ? Results.NoContent()
                : Results.Problem(statusCode: 404, title: "Completion not found", detail: $"No completion {id}."));
        return api;
    }
}
