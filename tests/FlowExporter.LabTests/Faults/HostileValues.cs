using System.Text;

namespace FlowExporter.LabTests.Faults;

/// <summary>
/// Label values a hostile or careless outsider controls, as each source delivers them (bytes or text), and what the
/// exposition must carry after escaping and parsing back. Every one holds a double quote, a backslash and a newline;
/// the byte-level ones also hold bytes that are not UTF-8.
/// </summary>
internal static class HostileValues
{
    /// <summary>SNMP ifAlias as raw octets. Not UTF-8, so the SNMP source reads it as Latin-1 (docs/snmp.md).</summary>
    public static readonly byte[] IfAliasBytes = [.. "al\"q\\b\nl"u8, 0xFF, 0xFE, .. "end"u8];

    public static readonly string IfAliasExpected = Encoding.Latin1.GetString(IfAliasBytes);

    /// <summary>An endpoints file entry's name as raw file bytes: invalid UTF-8 is read as U+FFFD.</summary>
    public static readonly byte[] EndpointNameYaml = [.. "\"file\\\"q\\\\b\\nl"u8, 0xFF, 0xFE, .. "end\""u8];

    public const string EndpointNameExpected = "file\"q\\b\nl\uFFFD\uFFFDend";

    /// <summary>
    /// A pod name and namespace as the Kubernetes stand-in sends them (JSON text). A real API server only admits DNS
    /// names and Go's JSON encoder never emits invalid UTF-8, so the stand-in is more hostile than any real one.
    /// </summary>
    public const string PodNameJson = "pod\\\"q\\\\b\\nl\\ufffd\\ud83d\\ude00end";

    public const string PodNameExpected = "pod\"q\\b\nl\uFFFD\U0001F600end";

    public const string PodNamespaceJson = "ns\\\"q\\\\b\\nl";

    public const string PodNamespaceExpected = "ns\"q\\b\nl";

    /// <summary>An OVS external_ids iface-id (OVSDB itself refuses invalid UTF-8, so only quotes, backslash, newline).</summary>
    public const string IfaceId = "ovs\"q\\b\nl";

    /// <summary>A Linux interface name may hold quotes and backslashes (not whitespace, '/' or ':'): at most 15 bytes.</summary>
    public static string InterfaceName(string suffix) => "q\"\\" + suffix;
}
