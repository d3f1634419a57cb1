namespace FlowExporter.Correlator.Ovs;

/// <summary>
/// The counters of an Interface's <c>statistics</c> column that are exported, in OVS's own perspective: <c>rx</c> is what
/// the switch received from the port (what the pod sent), <c>tx</c> what it sent into the port. Null: not reported
/// (yet, or not by this port type).
/// </summary>
public readonly record struct OvsInterfaceCounters(
    long? RxBytes,
    long? RxPackets,
    long? RxErrors,
    long? RxDropped,
    long? TxBytes,
    long? TxPackets,
    long? TxErrors,
    long? TxDropped)
{
    public static OvsInterfaceCounters From(IReadOnlyDictionary<string, long> statistics)
    {
        long? Get(string key) => statistics.TryGetValue(key, out var value) && value >= 0 ? value : null;
        return new OvsInterfaceCounters(
            Get("rx_bytes"), Get("rx_packets"), Get("rx_errors"), Get("rx_dropped"),
            Get("tx_bytes"), Get("tx_packets"), Get("tx_errors"), Get("tx_dropped"));
    }
}
