using System.Runtime.CompilerServices;

namespace FlowExporter.Correlator.Tests.Snmp;

/// <summary>Locates the fixtures beside this folder's sources (the project copies only its top-level fixtures folder).</summary>
internal static class SnmpFixtures
{
    public static string PathOf(string name) => Path.Combine(Directory(), "fixtures", name);

    /// <summary>Datagrams captured with tcpdump, one per line: <c>manager|agent HEX</c>.</summary>
    public static IReadOnlyList<(bool FromAgent, byte[] Bytes)> Datagrams(string name) =>
        File.ReadAllLines(PathOf(name))
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' '))
            .Select(parts => (parts[0] == "agent", Convert.FromHexString(parts[1])))
            .ToList();

    private static string Directory([CallerFilePath] string path = "") => System.IO.Path.GetDirectoryName(path)!;
}
