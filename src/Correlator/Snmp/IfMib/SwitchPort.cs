namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>
/// One interface of a switch as read from IF-MIB. A counter is null when the agent did not return it. Speeds are in bits
/// per second. Status values are IF-MIB's (1 up, 2 down, 3 testing, ...).
/// </summary>
public sealed record SwitchPort(uint IfIndex, string Name, string Alias, string Description)
{
    public ulong? ReceiveBytes { get; init; }

    public ulong? TransmitBytes { get; init; }

    public ulong? ReceiveUnicastPackets { get; init; }

    public ulong? ReceiveMulticastPackets { get; init; }

    public ulong? ReceiveBroadcastPackets { get; init; }

    public ulong? TransmitUnicastPackets { get; init; }

    public ulong? TransmitMulticastPackets { get; init; }

    public ulong? TransmitBroadcastPackets { get; init; }

    public ulong? ReceiveErrors { get; init; }

    public ulong? ReceiveDiscards { get; init; }

    public ulong? TransmitErrors { get; init; }

    public ulong? TransmitDiscards { get; init; }

    public long? OperStatus { get; init; }

    public long? AdminStatus { get; init; }

    public ulong? SpeedBitsPerSecond { get; init; }
}
