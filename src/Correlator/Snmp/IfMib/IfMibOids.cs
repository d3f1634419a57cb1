namespace FlowExporter.Correlator.Snmp.IfMib;

/// <summary>The IF-MIB columns we poll (RFC 2863). Each is a table column; rows are indexed by ifIndex.</summary>
public static class IfMibOids
{
    private static readonly Oid IfEntry = Oid.Parse("1.3.6.1.2.1.2.2.1");
    private static readonly Oid IfXEntry = Oid.Parse("1.3.6.1.2.1.31.1.1.1");

    public static readonly Oid IfDescr = IfEntry.Append(2);
    public static readonly Oid IfSpeed = IfEntry.Append(5);
    public static readonly Oid IfAdminStatus = IfEntry.Append(7);
    public static readonly Oid IfOperStatus = IfEntry.Append(8);
    public static readonly Oid IfInOctets = IfEntry.Append(10);
    public static readonly Oid IfInUcastPkts = IfEntry.Append(11);
    public static readonly Oid IfInDiscards = IfEntry.Append(13);
    public static readonly Oid IfInErrors = IfEntry.Append(14);
    public static readonly Oid IfOutOctets = IfEntry.Append(16);
    public static readonly Oid IfOutUcastPkts = IfEntry.Append(17);
    public static readonly Oid IfOutDiscards = IfEntry.Append(19);
    public static readonly Oid IfOutErrors = IfEntry.Append(20);

    public static readonly Oid IfName = IfXEntry.Append(1);
    public static readonly Oid IfHCInOctets = IfXEntry.Append(6);
    public static readonly Oid IfHCInUcastPkts = IfXEntry.Append(7);
    public static readonly Oid IfHCInMulticastPkts = IfXEntry.Append(8);
    public static readonly Oid IfHCInBroadcastPkts = IfXEntry.Append(9);
    public static readonly Oid IfHCOutOctets = IfXEntry.Append(10);
    public static readonly Oid IfHCOutUcastPkts = IfXEntry.Append(11);
    public static readonly Oid IfHCOutMulticastPkts = IfXEntry.Append(12);
    public static readonly Oid IfHCOutBroadcastPkts = IfXEntry.Append(13);
    public static readonly Oid IfHighSpeed = IfXEntry.Append(15);
    public static readonly Oid IfAlias = IfXEntry.Append(18);

    /// <summary>Names and descriptions: change rarely, refreshed less often than counters.</summary>
    public static readonly IReadOnlyList<Oid> LabelColumns = [IfName, IfAlias, IfDescr];

    /// <summary>Counters and state from ifXTable (64-bit) and ifTable, polled every interval.</summary>
    public static readonly IReadOnlyList<Oid> CounterColumns =
    [
        IfHCInOctets, IfHCInUcastPkts, IfHCInMulticastPkts, IfHCInBroadcastPkts,
        IfHCOutOctets, IfHCOutUcastPkts, IfHCOutMulticastPkts, IfHCOutBroadcastPkts, IfHighSpeed,
        IfOperStatus, IfAdminStatus, IfInErrors, IfInDiscards, IfOutErrors, IfOutDiscards,
    ];

    /// <summary>ifTable's 32-bit counters and ifSpeed, for agents without ifXTable counters.</summary>
    public static readonly IReadOnlyList<Oid> Fallback32BitColumns = [IfInOctets, IfInUcastPkts, IfOutOctets, IfOutUcastPkts, IfSpeed];
}
