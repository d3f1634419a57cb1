namespace FlowExporter.Ovs;

/// <summary>How the OVS source reads the database.</summary>
public enum OvsMode
{
    /// <summary>A native OVSDB JSON-RPC monitor (RFC 7047): one connection, updates pushed, no process per scrape.</summary>
    Ovsdb,

    /// <summary>ovs-vsctl --format=json, one process per collection interval.</summary>
    Vsctl,
}
