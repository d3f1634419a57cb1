using System.Text.Json;

namespace FlowExporter.Correlator.Tests.Ovs;

internal static class OvsFixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "fixtures", "ovs", name);

    public static byte[] Bytes(string name) => File.ReadAllBytes(Path(name));

    public static JsonDocument Json(string name) => JsonDocument.Parse(File.ReadAllBytes(Path(name)));

    /// <summary>The recorded monitor session: [0] is the reply to monitor, [1] the first update notification.</summary>
    public static JsonDocument[] MonitorSession() =>
        [.. File.ReadAllLines(Path("lab-ovsdb-monitor-session.jsonl")).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l))];
}
