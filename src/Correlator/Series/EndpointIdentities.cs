namespace FlowExporter.Correlator.Series;

/// <summary>
/// Interns endpoint identities: one object per label set while any series key holds it. Reference counted by keys
/// (see <see cref="SeriesKey.ReleaseIdentities"/>), so the table never holds more identities than two per live series
/// and forgets a pod once its last series has left. Not thread-safe: the owner of the pipeline drives it.
/// </summary>
public sealed class EndpointIdentities
{
    private readonly Dictionary<EndpointIdentityValue, EndpointIdentity> _table = [];

    /// <summary>Identities held by at least one key.</summary>
    public int Count => _table.Count;

    /// <summary>The identity for a label set, with one more reference taken for the caller's key.</summary>
    public EndpointIdentity Acquire(in EndpointIdentityValue value)
    {
        if (!_table.TryGetValue(value, out var identity))
        {
            identity = new EndpointIdentity(this, value);
            _table.Add(value, identity);
        }

        identity.References++;
        return identity;
    }

    internal void Release(EndpointIdentity identity)
    {
        // A key released twice would be a bug; never let it take the count below zero or remove a newer identity.
        if (identity.References > 0 && --identity.References == 0)
        {
            _table.Remove(identity.Value);
        }
    }
}
