namespace FlowExporter.Sources;

/// <summary>
/// What <c>/readyz</c> answers: ready once every gating source (every registered one, or those named in
/// <c>readiness.sources</c>) has completed one successful collection (<see cref="SourceHealth"/>), and every extra
/// condition a source registered here is met. A source that later fails shows in its <c>up</c> series, not here, so a
/// pod is not pulled from service for a flapping switch.
/// </summary>
public sealed class Readiness
{
    private readonly SourceHealth _health;
    private readonly ReadinessOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, bool> _conditions = new(StringComparer.Ordinal);

    public Readiness(SourceHealth health, ReadinessOptions options)
    {
        _health = health;
        _options = options;
    }

    /// <summary>Adds a condition beyond the first successful collection (e.g. a replayed file played through once).</summary>
    public void Register(string name)
    {
        lock (_gate)
        {
            _conditions.TryAdd(name, false);
        }
    }

    public void MarkReady(string name)
    {
        lock (_gate)
        {
            _conditions[name] = true;
        }
    }

    /// <summary>Each gating source not ready yet, with why, by name; empty when ready.</summary>
    public IReadOnlyList<NotReadySource> Pending()
    {
        var pending = _health.NotReady().Where(s => Gates(s.Source)).ToList();
        lock (_gate)
        {
            foreach (var (name, met) in _conditions)
            {
                if (!met && Gates(name) && !pending.Any(s => s.Source == name))
                {
                    pending.Add(new NotReadySource(name, "first pass not complete", []));
                }
            }
        }

        return [.. pending.OrderBy(s => s.Source, StringComparer.Ordinal)];
    }

    private bool Gates(string source) => _options.Sources is not { } named || named.Contains(source, StringComparer.Ordinal);
}
