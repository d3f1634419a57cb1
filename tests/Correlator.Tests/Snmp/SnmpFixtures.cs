namespace FlowExporter.Correlator.Tests.Snmp;

/// <summary>Locates the SNMP fixtures (tests/fixtures/snmp, copied to the output's fixtures/snmp).</summary>
internal static class SnmpFixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "snmp", name);

    /// <summary>Datagrams captured with tcpdump, one per line: <c>manager|agent HEX</c>.</summary>
    public static IReadOnlyList<(bool FromAgent, byte[] Bytes)> Datagrams(string name) =>
        File.ReadAllLines(PathOf(name))
            .Where(line => line.Length > 0)
            .Select(line => line.Split(' '))
            .Select(parts => (parts[0] == "agent", Convert.FromHexString(parts[1])))
            .ToList();
}
