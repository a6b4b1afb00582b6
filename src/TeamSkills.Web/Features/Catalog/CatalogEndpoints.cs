using TeamSkills.Core.Catalog;
using TeamSkills.Web.Features.Access;

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
    /// <summary>Registers the catalog's service, shared by the API and the catalog page.</summary>
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<CatalogService>();
        return builder;
    }

    public static RouteGroupBuilder MapCatalog(this RouteGroupBuilder api)
    {
        api.MapGet("/catalog/certifications", (CatalogService catalog, CancellationToken ct) =>
            catalog.CertificationsAsync(ct)).WithTags("Catalog");

        api.MapPut("/catalog/certifications/{id}", async (string id, EditCertification body, CatalogService catalog, HttpContext http, CancellationToken ct) =>
        {
            var result = await catalog.EditCertificationAsync(id, body, CallerScope.From(http.User).Actor, ct);
            if (result.NotFound is { } missing) return Results.Problem(statusCode: 404, title: "Certification not found", detail: missing);
            return result.Value is { } edited ? Results.Ok(edited) : Rejected(result.Errors, "Edit rejected");
        }).WithTags("Catalog").RequireAuthorization(AccessSetup.WritePolicy);

        api.MapGet("/catalog/roles", (CatalogService catalog, CancellationToken ct) =>
            catalog.RolesAsync(ct)).WithTags("Catalog");

        // The whole list of a role's recommended certifications: what is not listed is removed.
        api.MapPut("/catalog/roles/{id}/certifications", async (string id, List<RoleCertificationInput> body, CatalogService catalog, HttpContext http, CancellationToken ct) =>
        {
            var result = await catalog.EditRoleCertificationsAsync(id, body, CallerScope.From(http.User).Actor, ct);
            if (result.NotFound is { } missing) return Results.Problem(statusCode: 404, title: "Role not found", detail: missing);
            return result.Value is { } role ? Results.Ok(role) : Rejected(result.Errors, "Mapping rejected");
        }).WithTags("Catalog").RequireAuthorization(AccessSetup.WritePolicy);

        api.MapGet("/roles/unmapped", async (ScopeService scopes, CatalogService catalog, HttpContext http, CancellationToken ct) =>
            await catalog.UnmappedAsync(await scopes.ForAsync(http.User, ct), ct)).WithTags("Catalog");

        api.MapPost("/roles/aliases", async (MapAlias body, CatalogService catalog, HttpContext http, CancellationToken ct) =>
        {
            var result = await catalog.MapAliasAsync(body, CallerScope.From(http.User).Actor, ct);
            if (result.Value is not { } mapping) return Rejected(result.Errors, "Alias rejected");
            return mapping.Created ? Results.Created("/api/catalog/roles", mapping.Result) : Results.Ok(mapping.Result);
        }).WithTags("Catalog").RequireAuthorization(AccessSetup.WritePolicy);
        return api;
    }

    private static IResult Rejected(IReadOnlyDictionary<string, string[]> errors, string title) =>
        Results.ValidationProblem(errors, statusCode: 422, title: title);
}
