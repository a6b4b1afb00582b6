using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using TeamSkills.Web.Features.Access;

namespace TeamSkills.Web.Features.Catalog;

/// <summary>
/// L&amp;D's catalog editor: certification rules, role → certification mappings and unmapped-title triage. Every write
/// goes through <see cref="CatalogService"/>, the same code as the API; success redirects (PRG) with a status line,
/// a rejection re-renders with the errors beside the form that caused them.
/// </summary>
[Authorize(Policy = AccessSetup.PagePolicy)]
public sealed class CatalogPageModel(ScopeService scopes, CatalogService service) : PageModel
{
    /// <summary>Form field → label, so an error names the field the way the form does.</summary>
    public static readonly IReadOnlyDictionary<string, string> Labels = new Dictionary<string, string>
    {
        ["validityMonths"] = "Validity (months)",
        ["renewalWindowDays"] = "Renewal window (days)",
        ["recommendedOrder"] = "Recommended order",
        ["hardPrerequisite"] = "Hard prerequisite",
        ["preparationDays"] = "Preparation (days)",
        ["certification"] = "Certification",
        ["certifications"] = "Certifications",
        ["focus"] = "Focus",
        ["title"] = "Title",
        ["role"] = "Role",
    };

    public IReadOnlyList<CertificationView> Certifications { get; private set; } = [];
    public IReadOnlyList<RoleView> Roles { get; private set; } = [];
    public IReadOnlyList<UnmappedTitle> Unmapped { get; private set; } = [];

    [TempData]
    public string? Status { get; set; }

    /// <summary>Errors of the one form that was rejected, keyed by <see cref="CertForm"/>, <see cref="RoleForm"/> or <see cref="TitleForm"/>.</summary>
    public string? FailedForm { get; private set; }
    public IReadOnlyList<(string Field, string Message)> Errors { get; private set; } = [];
    /// <summary>What was typed into the rejected form, shown again instead of the stored values.</summary>
    public IReadOnlyDictionary<string, string?> Posted { get; private set; } = new Dictionary<string, string?>();

    public static string CertForm(string id) => "cert:" + id;
    public static string RoleForm(string id) => "role:" + id;
    public static string TitleForm(string normalizedTitle) => "title:" + normalizedTitle;

    public IReadOnlyList<(string Field, string Message)> ErrorsFor(string form) => FailedForm == form ? Errors : [];

    /// <summary>False when the rejected form is no longer on the page (its title got mapped meanwhile): errors go on top.</summary>
    public bool FailedFormShown => FailedForm is { } f
        && (Certifications.Any(c => CertForm(c.Id) == f) || Roles.Any(r => RoleForm(r.Id) == f) || Unmapped.Any(u => TitleForm(u.NormalizedTitle) == f));

    /// <summary>What the rejected form is about (a certification, role or title), for the notice on top of the page.</summary>
    public string? FailedItem => FailedForm is not { } f ? null
        : Certifications.FirstOrDefault(c => CertForm(c.Id) == f)?.Name
          ?? Roles.FirstOrDefault(r => RoleForm(r.Id) == f)?.Name
          ?? Unmapped.FirstOrDefault(u => TitleForm(u.NormalizedTitle) == f)?.NormalizedTitle;

    public string? Value(string form, string field, object? stored) =>
        FailedForm == form && Posted.TryGetValue(field, out var typed) ? typed : Convert.ToString(stored, CultureInfo.InvariantCulture);

    public override void OnPageHandlerExecuting(PageHandlerExecutingContext context)
    {
        // The catalog is L&D's: signed-in managers and engineers get a plain 403, for every handler.
        if (!User.IsInRole(AppRoles.Admin) && !User.IsInRole(AppRoles.LearningAdmin)) context.Result = Forbid();
    }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostCertificationAsync(string id, string? validityMonths, string? renewalWindowDays,
        string? recommendedOrder, string? hardPrerequisite, string? preparationDays, CancellationToken ct)
    {
        Posted = new Dictionary<string, string?>
        {
            ["validityMonths"] = validityMonths, ["renewalWindowDays"] = renewalWindowDays, ["recommendedOrder"] = recommendedOrder,
            ["hardPrerequisite"] = hardPrerequisite, ["preparationDays"] = preparationDays,
        };
        // The form always sends every field; parsing text is the page's job, the rules are the service's.
        var unparsed = new List<(string, string)>();
        int? Number(string field, string? text)
        {
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)) return n;
            unparsed.Add((field, string.IsNullOrWhiteSpace(text) ? $"{field} is required." : $"{field} must be a whole number."));
            return null;
        }
        var edit = new EditCertification(
            Number("validityMonths", validityMonths), Number("renewalWindowDays", renewalWindowDays), Number("recommendedOrder", recommendedOrder),
            string.IsNullOrWhiteSpace(hardPrerequisite) ? null : hardPrerequisite.Trim(), ClearHardPrerequisite: string.IsNullOrWhiteSpace(hardPrerequisite),
            Number("preparationDays", preparationDays), RenewalBase: null);
        if (unparsed.Count > 0) return await RejectAsync(CertForm(id), unparsed, ct);

        var result = await service.EditCertificationAsync(id, edit, Actor, ct);
        if (result.NotFound is { } missing) return await RejectAsync(CertForm(id), [("certification", missing)], ct);
        if (result.Value is null) return await RejectAsync(CertForm(id), Flatten(result.Errors), ct);
        return Done($"Saved {await NameOfAsync(id, ct)}.");
    }

    public async Task<IActionResult> OnPostAddMappingAsync(string role, string? certification, string? focus, CancellationToken ct)
    {
        Posted = new Dictionary<string, string?> { ["certification"] = certification, ["focus"] = focus };
        if (string.IsNullOrWhiteSpace(certification)) return await RejectAsync(RoleForm(role), [("certification", "Choose a certification to add.")], ct);
        return await EditRoleAsync(role, lines => [.. lines, new RoleCertificationInput(certification, focus)],
            name => $"Added to {name}.", ct);
    }

    public Task<IActionResult> OnPostRemoveMappingAsync(string role, string certification, CancellationToken ct) =>
        EditRoleAsync(role, lines => lines.Where(l => l.Certification != certification).ToList(),
            name => $"Removed from {name}.", ct);

    public async Task<IActionResult> OnPostMapTitleAsync(string title, string? mapTo, CancellationToken ct)
    {
        Posted = new Dictionary<string, string?> { ["role"] = mapTo };
        if (string.IsNullOrWhiteSpace(mapTo)) return await RejectAsync(TitleForm(title), [("role", "Choose a role to map this title to.")], ct);
        var result = await service.MapAliasAsync(new MapAlias(title, mapTo), Actor, ct);
        if (result.Value is not { } mapping) return await RejectAsync(TitleForm(title), Flatten(result.Errors), ct);
        var m = mapping.Result;
        return Done($"Mapped '{m.NormalizedTitle}' to {m.Role}: {m.RemappedEngineers} engineer{(m.RemappedEngineers == 1 ? "" : "s")} remapped.");
    }

    private async Task<IActionResult> EditRoleAsync(string roleId, Func<List<RoleCertificationInput>, List<RoleCertificationInput>> change,
        Func<string, string> status, CancellationToken ct)
    {
        var current = (await service.RolesAsync(ct)).FirstOrDefault(r => r.Id == roleId);
        if (current is null) return await RejectAsync(RoleForm(roleId), [("role", $"No role '{roleId}'.")], ct);
        var lines = change(current.Certifications.Select(c => new RoleCertificationInput(c.Id, c.Focus)).ToList());
        var result = await service.EditRoleCertificationsAsync(roleId, lines, Actor, ct);
        if (result.NotFound is { } missing) return await RejectAsync(RoleForm(roleId), [("role", missing)], ct);
        if (result.Value is not { } role) return await RejectAsync(RoleForm(roleId), Flatten(result.Errors), ct);
        return Done(status(role.Name));
    }

    private string Actor => CallerScope.From(User).Actor;

    private async Task<string> NameOfAsync(string id, CancellationToken ct) =>
        (await service.CertificationsAsync(ct)).FirstOrDefault(c => c.Id == id)?.Name ?? id;

    private IActionResult Done(string status)
    {
        Status = status;
        return RedirectToPage();
    }

    private async Task<IActionResult> RejectAsync(string form, IEnumerable<(string Field, string Message)> errors, CancellationToken ct)
    {
        (FailedForm, Errors) = (form, errors.ToList());
        await LoadAsync(ct);
        Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
        return Page();
    }

    private static IEnumerable<(string, string)> Flatten(IReadOnlyDictionary<string, string[]> errors) =>
        errors.SelectMany(e => e.Value.Select(m => (e.Key, m)));

    private async Task LoadAsync(CancellationToken ct)
    {
        Certifications = await service.CertificationsAsync(ct);
        Roles = await service.RolesAsync(ct);
        Unmapped = await service.UnmappedAsync(await scopes.ForAsync(User, ct), ct);
    }
}
