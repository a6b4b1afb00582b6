using StackExchange.Redis;

namespace TeamSkills.Web.Features.Live;

/// <summary>A change to live connections that every instance must apply to its own connections.</summary>
public sealed record LiveControlMessage(string Kind, string? User)
{
    public static LiveControlMessage Rescope() => new("rescope", null);
    public static LiveControlMessage Disconnect(string user) => new("disconnect", user);
}

/// <summary>
/// With several instances behind a proxy (docker-compose runs two), a browser stays on one instance while imports and
/// user changes arrive through another. Pushes cross over the SignalR Redis backplane; this passes on what the
/// backplane cannot know: a roster import that moved scope (each instance regroups its own connections) and a user
/// deleted or a key revoked (each instance closes that user's connections). Messages carry the sending instance's id
/// so an instance never applies its own twice. Redis down: each instance keeps serving its pages and API, pushes fail
/// fast until the multiplexer has reconnected by itself (AbortOnConnectFail=false), and then resume.
/// </summary>
public sealed class RedisLiveControl(IConfiguration configuration, LiveConnections connections, GapChanges changes,
    ILogger<RedisLiveControl> log) : IHostedService, IDisposable
{
    public const string ConfigKey = "TeamSkills:Redis";
    private static readonly RedisChannel Channel = RedisChannel.Literal("TeamSkills:live-control");
    private readonly string _instance = Guid.NewGuid().ToString("N");
    private ConnectionMultiplexer? _redis;
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>TeamSkills:Redis as StackExchange.Redis options: never fail at start because Redis is down, and keep
    /// this app's channels apart from anything else on the same server.</summary>
    public static ConfigurationOptions Options(string configuration)
    {
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        // While Redis is unreachable a push fails at once (logged by the publisher) instead of queueing for seconds
        // and holding back the pushes behind it; dashboards catch up with GetSummaries when their connection resumes.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ChannelPrefix = RedisChannel.Literal("TeamSkills");
        options.ClientName ??= "teamskills";
        return options;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(Options(configuration[ConfigKey]!));
        connections.Changed += Publish;
        _redis.ConnectionRestored += OnRestored;
        // With AbortOnConnectFail=false the multiplexer can come back before its first connection is up (Redis down
        // at start, or slow to answer): the app starts anyway and subscribes as soon as Redis takes it.
        if (!await TrySubscribeAsync(logFailure: true)) _ = SubscribeWhenReachableAsync(_stopping.Token);
    }

    /// <summary>Subscribes to the control channel; once it succeeds, the multiplexer resubscribes by itself after outages.</summary>
    private async Task<bool> TrySubscribeAsync(bool logFailure)
    {
        try
        {
            await _redis!.GetSubscriber().SubscribeAsync(Channel, (_, value) => HandleInBackground(value));
            return true;
        }
        catch (RedisException e)
        {
            if (logFailure) log.LogWarning("Redis is not reachable yet ({Reason}); live control messages from other instances wait for it", e.Message);
            return false;
        }
    }

    private async Task SubscribeWhenReachableAsync(CancellationToken ct)
    {
        try
        {
            do await Task.Delay(TimeSpan.FromSeconds(1), ct);
            while (!await TrySubscribeAsync(logFailure: false));
            log.LogInformation("Redis reachable: subscribed to live control messages");
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Back from an outage: pushes and control messages sent meanwhile were lost, so every instance regroups its
    /// connections and pushes every team once more (after a moment, so SignalR's own Redis connection is back too).
    /// </summary>
    private void OnRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription) return;
        log.LogInformation("Redis reachable again: live connections regrouped and every team pushed");
        _ = Task.Delay(TimeSpan.FromSeconds(2)).ContinueWith(_ => changes.Publish(DataChange.Everything(DataChange.RosterImport)),
            TaskScheduler.Default);
    }

    private void Publish(LiveControlMessage message)
    {
        if (_redis is null) return;
        var payload = System.Text.Json.JsonSerializer.Serialize(new Envelope(_instance, message.Kind, message.User));
        // Fire and forget: a Redis outage must never fail the import or the user change that caused this.
        _redis.GetSubscriber().Publish(Channel, payload, CommandFlags.FireAndForget);
    }

    // Messages are applied off the Redis reader thread; OnMessageAsync catches and logs everything itself.
    private void HandleInBackground(RedisValue value) => _ = Task.Run(() => OnMessageAsync(value));

    private async Task OnMessageAsync(RedisValue value)
    {
        try
        {
            var envelope = System.Text.Json.JsonSerializer.Deserialize<Envelope>(value.ToString());
            if (envelope is null || envelope.Instance == _instance) return;
            switch (envelope.Kind)
            {
                case "rescope":
                    await connections.RescopeHereAsync(CancellationToken.None);
                    break;
                case "disconnect" when envelope.User is not null:
                    connections.DisconnectHere(envelope.User);
                    break;
            }
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Live control message from another instance could not be applied");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        connections.Changed -= Publish;
        if (_redis is not null) _redis.ConnectionRestored -= OnRestored;
        return Task.CompletedTask;
    }

    // The token source is cancelled, not disposed: the host may dispose this service before stopping it, and a
    // source without timers or links holds nothing to release.
    public void Dispose()
    {
        _stopping.Cancel();
        _redis?.Dispose();
    }

    private sealed record Envelope(string Instance, string Kind, string? User);
}
