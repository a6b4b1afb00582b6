using Microsoft.AspNetCore.Identity;

namespace TeamSkills.Core.Access;

/// <summary>A person who signs in. Their role is an Identity role; their team scope follows the roster by email.</summary>
public sealed class AppUser : IdentityUser
{
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>An API key: shown once, stored as a SHA-256 hash; revoked keys stop working on the next request.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }
    public required string UserId { get; set; }
    /// <summary>The first characters, to recognise a key in lists without storing it.</summary>
    public required string Prefix { get; set; }
    public required string Hash { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
