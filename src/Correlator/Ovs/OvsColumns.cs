namespace FlowExporter.Correlator.Ovs;

/// <summary>The tables and columns both collection modes read (nothing else is fetched).</summary>
public static class OvsColumns
{
    public const string Database = "Open_vSwitch";

    public static readonly IReadOnlyList<string> Bridge = ["name", "ports"];

    public static readonly IReadOnlyList<string> Port = ["name", "interfaces"];

    public static readonly IReadOnlyList<string> Interface =
        ["name", "type", "ofport", "admin_state", "link_state", "mac_in_use", "error", "external_ids", "statistics"];
}
