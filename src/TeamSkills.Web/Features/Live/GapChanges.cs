using System.Threading.Channels;

namespace TeamSkills.Web.Features.Live;

/// <summary>
/// What changed, told by a writer after its transaction commits. <see cref="EngineerIds"/> names the engineers whose
/// completions changed when the writer knows them exactly (one completion recorded); null means anything may have
/// changed (an import, a catalog edit, an alias mapping, an expiry sweep) and every team is recomputed.
/// </summary>
public sealed record DataChange(string Kind, IReadOnlyCollection<int>? EngineerIds = null)
{
    public const string RosterImport = "roster-import";
    public const string DayChanged = "day-changed";

    public static DataChange Everything(string kind) => new(kind);
    public static DataChange Engineers(string kind, params int[] engineerIds) => new(kind, engineerIds);
}

/// <summary>
/// The one place writers report committed changes. It never blocks a writer: changes queue on an unbounded
/// channel and the live publisher coalesces bursts, refreshes the gap index and pushes summaries to dashboards.
/// </summary>
public sealed class GapChanges
{
    private readonly Channel<DataChange> _channel = Channel.CreateUnbounded<DataChange>(new UnboundedChannelOptions { SingleReader = true });

    private long _count;

    /// <summary>Raised on the writer's thread for every change, before it is queued (observers must be quick).</summary>
    public event Action<DataChange>? Published;

    /// <summary>How many changes were ever published; the publisher's processed count catches up with it.</summary>
    public long Count => Interlocked.Read(ref _count);

    public void Publish(DataChange change)
    {
        Published?.Invoke(change);
        Interlocked.Increment(ref _count);
        _channel.Writer.TryWrite(change);
    }

    internal ChannelReader<DataChange> Reader => _channel.Reader;
}
