using Prometheus;

namespace FlowExporter.Sources;

/// <summary>
/// The one place every source reports its health, in the exporter's own prometheus-net registry:
/// <c>flowexporter_source_up{source}</c>, last success, collection duration, <c>errors_total{source,reason}</c> and,
/// for a source with several instances (capture interfaces, switch targets, ...),
/// <c>flowexporter_source_instance_up{source,instance}</c>. It also remembers, per source, whether it has ever
/// succeeded and why it last failed: that is what <see cref="Readiness"/> answers from.
/// </summary>
/// <remarks>
/// The rule for a source with instances: its <c>up</c> is 1 only while every instance is up (the instance series say
/// which are down), its last success is the last time that was so, and it counts as ready once every instance has
/// succeeded at least once (not necessarily at the same time). A source registered with
/// <c>instancesGate: false</c> (probes: a peer that does not answer is a measurement, not a fault of the exporter) keeps
/// its instance series for information only; its up and readiness follow its own collections.
/// </remarks>
public sealed class SourceHealth
{
    private readonly Gauge _up;
    private readonly Gauge _lastSuccess;
    private readonly Gauge _duration;
    private readonly Counter _errors;
    private readonly Gauge _instanceUp;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SourceState> _sources = new(StringComparer.Ordinal);

    public SourceHealth(IMetricFactory factory)
    {
        _up = factory.CreateGauge(
            "flowexporter_source_up",
            "1 when the source's last collection succeeded (for a source with instances: every instance is up), 0 otherwise.",
            ["source"]);
        _lastSuccess = factory.CreateGauge(
            "flowexporter_source_last_success_timestamp_seconds", "Unix time of the source's last successful collection.", ["source"]);
        _duration = factory.CreateGauge(
            "flowexporter_source_collection_duration_seconds", "How long the source's last collection took.", ["source"]);
        _errors = factory.CreateCounter(
            "flowexporter_source_errors_total", "Failed collections or bad inputs of a source, by reason.", ["source", "reason"]);
        _instanceUp = factory.CreateGauge(
            "flowexporter_source_instance_up",
            "1 when this instance of the source (a capture interface, a switch target, ...) last succeeded, 0 otherwise.",
            ["source", "instance"]);
    }

    /// <summary>Registers a source so that its series exist (with up 0) before its first collection.</summary>
    public void Register(string source, bool instancesGate = true)
    {
        lock (_gate)
        {
            State(source).InstancesGate = instancesGate;
            _up.WithLabels(source).Set(0);
        }
    }

    /// <summary>Registers one instance of a source (its instance series start at 0, and the source waits for it).</summary>
    public void RegisterInstance(string source, string instance)
    {
        lock (_gate)
        {
            var state = State(source);
            if (state.Instances.TryAdd(instance, new InstanceState()))
            {
                _instanceUp.WithLabels(source, instance).Set(0);
                if (state.InstancesGate)
                {
                    _up.WithLabels(source).Set(0);
                }
            }
        }
    }

    /// <summary>An instance that is no longer configured or known (a peer that left): its series goes.</summary>
    public void RemoveInstance(string source, string instance)
    {
        lock (_gate)
        {
            if (State(source).Instances.Remove(instance))
            {
                _instanceUp.RemoveLabelled(source, instance);
            }
        }
    }

    /// <summary>The instances currently registered for a source.</summary>
    public IReadOnlyList<string> Instances(string source)
    {
        lock (_gate)
        {
            return [.. State(source).Instances.Keys.Order(StringComparer.Ordinal)];
        }
    }

    public void Succeeded(string source, DateTimeOffset at, TimeSpan duration)
    {
        lock (_gate)
        {
            var state = State(source);
            state.EverSucceeded = true;
            state.LastReason = null;
            _up.WithLabels(source).Set(1);
            _lastSuccess.WithLabels(source).Set(at.ToUnixTimeMilliseconds() / 1000.0);
            _duration.WithLabels(source).Set(duration.TotalSeconds);
        }
    }

    public void Failed(string source, string reason, TimeSpan duration)
    {
        lock (_gate)
        {
            State(source).LastReason = reason;

            // Counted before up drops: whoever sees up at 0 also sees the failure that caused it.
            _errors.WithLabels(source, reason).Inc();
            _duration.WithLabels(source).Set(duration.TotalSeconds);
            _up.WithLabels(source).Set(0);
        }
    }

    /// <summary>One instance collected; the source goes up when this made every instance up.</summary>
    public void InstanceSucceeded(string source, string instance, DateTimeOffset at, TimeSpan duration)
    {
        lock (_gate)
        {
            var state = State(source);
            var entry = Instance(state, source, instance);
            entry.Up = true;
            entry.EverSucceeded = true;
            entry.LastReason = null;
            _instanceUp.WithLabels(source, instance).Set(1);
            if (!state.InstancesGate)
            {
                return;
            }

            _duration.WithLabels(source).Set(duration.TotalSeconds);
            if (state.Instances.Values.All(i => i.Up))
            {
                state.EverSucceeded = true;
                state.LastReason = null;
                _up.WithLabels(source).Set(1);
                _lastSuccess.WithLabels(source).Set(at.ToUnixTimeMilliseconds() / 1000.0);
            }
        }
    }

    /// <summary>One instance failed: counted under the source, the instance and the source are down.</summary>
    public void InstanceFailed(string source, string instance, string reason, TimeSpan duration)
    {
        lock (_gate)
        {
            var state = State(source);
            MarkInstanceDown(state, source, instance, reason);
            _errors.WithLabels(source, reason).Inc();
            if (state.InstancesGate)
            {
                _duration.WithLabels(source).Set(duration.TotalSeconds);
                _up.WithLabels(source).Set(0);
            }
        }
    }

    /// <summary>An instance stays down (a state that persists, not a new failure): nothing more is counted.</summary>
    public void InstanceDown(string source, string instance, string reason)
    {
        lock (_gate)
        {
            var state = State(source);
            MarkInstanceDown(state, source, instance, reason);
            if (state.InstancesGate)
            {
                _up.WithLabels(source).Set(0);
            }
        }
    }

    public bool IsUp(string source) => _up.WithLabels(source).Value >= 1;

    public bool IsUp(string source, string instance) => _instanceUp.WithLabels(source, instance).Value >= 1;

    /// <summary>The registered sources that have not yet completed a successful collection, with why, by name.</summary>
    public IReadOnlyList<NotReadySource> NotReady()
    {
        lock (_gate)
        {
            var pending = new List<NotReadySource>();
            foreach (var (name, state) in _sources.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                if (IsReady(state))
                {
                    continue;
                }

                var waiting = state.Instances
                    .Where(i => state.InstancesGate && !i.Value.EverSucceeded)
                    .OrderBy(i => i.Key, StringComparer.Ordinal)
                    .Select(i => new NotReadyInstance(i.Key, i.Value.LastReason))
                    .ToArray();
                pending.Add(new NotReadySource(name, state.LastReason, waiting));
            }

            return pending;
        }
    }

    /// <summary>The names of every registered source.</summary>
    public IReadOnlyList<string> Sources()
    {
        lock (_gate)
        {
            return [.. _sources.Keys.Order(StringComparer.Ordinal)];
        }
    }

    private static bool IsReady(SourceState state) =>
        state.EverSucceeded || (state.InstancesGate && state.Instances.Count > 0 && state.Instances.Values.All(i => i.EverSucceeded));

    private void MarkInstanceDown(SourceState state, string source, string instance, string reason)
    {
        var entry = Instance(state, source, instance);
        entry.Up = false;
        entry.LastReason = reason;
        if (state.InstancesGate)
        {
            state.LastReason = $"{instance}: {reason}";
        }

        _instanceUp.WithLabels(source, instance).Set(0);
    }

    private SourceState State(string source)
    {
        if (!_sources.TryGetValue(source, out var state))
        {
            state = new SourceState();
            _sources.Add(source, state);
        }

        return state;
    }

    private static InstanceState Instance(SourceState state, string source, string instance) =>
        state.Instances.TryGetValue(instance, out var entry)
            ? entry
            : throw new InvalidOperationException($"{source}: instance '{instance}' was never registered");

    private sealed class SourceState
    {
        public bool InstancesGate { get; set; } = true;

        public bool EverSucceeded { get; set; }

        public string? LastReason { get; set; }

        public Dictionary<string, InstanceState> Instances { get; } = new(StringComparer.Ordinal);
    }

    private sealed class InstanceState
    {
        public bool Up { get; set; }

        public bool EverSucceeded { get; set; }

        public string? LastReason { get; set; }
    }
}
