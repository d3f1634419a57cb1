namespace FlowExporter.Sources;

/// <summary>
/// What <c>/readyz</c> answers: ready once every registered participant has reported ready at least once (a source
/// that later fails shows in its <c>up</c> series, not here, so a pod is not pulled from service for a flapping switch).
/// </summary>
public sealed class Readiness
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, bool> _participants = new(StringComparer.Ordinal);

    public void Register(string name)
    {
        lock (_gate)
        {
            _participants.TryAdd(name, false);
        }
    }

    public void MarkReady(string name)
    {
        lock (_gate)
        {
            _participants[name] = true;
        }
    }

    public IReadOnlyList<string> Pending()
    {
        lock (_gate)
        {
            return _participants.Where(p => !p.Value).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        }
    }
}
