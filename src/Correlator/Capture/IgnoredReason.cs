namespace FlowExporter.Correlator.Capture;

/// <summary>Why a well-formed frame was counted in no connection (the <c>reason</c> label of the ignored counter).</summary>
public enum IgnoredReason
{
    /// <summary>Not IP (ARP, LLDP, spanning tree...).</summary>
    NotIp,

    /// <summary>Its new connection did not fit in the full table.</summary>
    TableFull,

    /// <summary>A later IP fragment whose first fragment (with the ports) was not seen.</summary>
    OrphanFragment,

    /// <summary>Probe traffic between exporters (<see cref="ProbeTrafficFilter"/>), left out of connection series.</summary>
    Probe,
}
