namespace FlowExporter.Correlator.CapturePoints;

/// <summary>RFC 2863 operational state as the kernel reports it in IFLA_OPERSTATE (same numbering).</summary>
public enum LinkOperState : byte
{
    Unknown = 0,
    NotPresent = 1,
    Down = 2,
    LowerLayerDown = 3,
    Testing = 4,
    Dormant = 5,
    Up = 6,
}
