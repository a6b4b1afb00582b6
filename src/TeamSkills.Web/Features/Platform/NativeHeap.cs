using System.Runtime.InteropServices;

namespace TeamSkills.Web.Features.Platform;

/// <summary>
/// glibc gives busy threads their own malloc arenas (up to 8 per core) and rarely returns their memory: in the 5-minute
/// soak, RSS grew +4 MB/min with a flat managed heap, all of it native. Two arenas made it settle. The app sets that
/// itself at start (mallopt), so <c>dotnet run</c> gets it as the Dockerfile does; MALLOC_ARENA_MAX in the
/// environment wins (glibc reads it itself), and other C libraries are left alone.
/// </summary>
internal static class NativeHeap
{
    private const int MArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h
    public const int Arenas = 2;

    /// <summary>The arena limit now in force: set here, from the environment, or null when not glibc on Linux.</summary>
    public static string? LimitArenas()
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 } fromEnvironment) return fromEnvironment;
        try
        {
            return Mallopt(MArenaMax, Arenas) == 1 ? Arenas.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null; // not glibc (musl, for one): nothing to set
        }
    }

    // DllImport, not LibraryImport: two ints need no marshalling code, and the project stays free of unsafe code.
    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    private static extern int Mallopt(int param, int value);
}
