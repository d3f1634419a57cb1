namespace FlowExporter.Correlator.CapturePoints;

/// <summary>Why a point is captured, which sets its default kernel ring size.</summary>
public enum CapturePointRole
{
    /// <summary>An uplink (default route) or an interface named explicitly: the node's whole traffic may cross it.</summary>
    Uplink,

    /// <summary>A pod's port (OVS pod port, or matched by a glob): one pod's traffic, a smaller ring.</summary>
    PodPort,
}
