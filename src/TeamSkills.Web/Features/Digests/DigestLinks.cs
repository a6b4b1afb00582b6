using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace TeamSkills.Web.Features.Digests;

/// <summary>
/// The "choose weekly, monthly or none" link in every digest: a token only this app can make, naming the manager,
/// so a manager who never signed up can still opt out.
/// </summary>
public sealed class DigestLinks(IDataProtectionProvider protection, IOptions<DigestOptions> options)
{
    /// <summary>A link forwarded with an old digest stops working after a while; every digest carries a fresh one.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(90);

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("TeamSkills.DigestPreferences.v1").ToTimeLimitedDataProtector();

    public string PreferencesUrl(string manager) =>
        $"{options.Value.PublicUrl.TrimEnd('/')}/digest?token={Token(manager)}";

    public string Token(string manager) =>
        WebEncoders.Base64UrlEncode(_protector.Protect(System.Text.Encoding.UTF8.GetBytes(manager), Lifetime));

    public string? ManagerOf(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1000) return null;
        try
        {
            return System.Text.Encoding.UTF8.GetString(_protector.Unprotect(WebEncoders.Base64UrlDecode(token), out _));
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException)
        {
            return null;
        }
    }
}
