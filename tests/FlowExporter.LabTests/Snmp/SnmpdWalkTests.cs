using FlowExporter.Correlator.Snmp;
using FlowExporter.Correlator.Snmp.IfMib;
using FlowExporter.Snmp;

namespace FlowExporter.LabTests.Snmp;

/// <summary>Our walks against a real snmpd equal snmpbulkwalk's, taken back to back (counters may only grow in between).</summary>
[Trait("Category", "Lab")]
[Collection(HostInterfacesCollection.Name)]
public sealed class SnmpdWalkTests
{
    private static readonly Oid IfTable = Oid.Parse("1.3.6.1.2.1.2.2");
    private static readonly Oid IfXTable = Oid.Parse("1.3.6.1.2.1.31.1.1");

    [Fact]
    public async Task V2c_walks_of_ifTable_and_ifXTable_equal_snmpbulkwalk()
    {
        await using var agent = await SnmpdFixture.StartAsync();
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromSeconds(2), 1, TimeProvider.System);
        var client = new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(agent.Community), 42);
        await CompareAsync(client, ["-v2c", "-c", agent.Community], agent);
    }

    [Theory]
    [InlineData("shaaes", AuthProtocol.Sha1, PrivProtocol.Aes128)]
    [InlineData("sha256aes", AuthProtocol.Sha256, PrivProtocol.Aes128)]
    [InlineData("md5des", AuthProtocol.Md5, PrivProtocol.Des)]
    [InlineData("sha512des", AuthProtocol.Sha512, PrivProtocol.Des)]
    [InlineData("sha224aes", AuthProtocol.Sha224, PrivProtocol.Aes128)]
    [InlineData("sha384aes", AuthProtocol.Sha384, PrivProtocol.Aes128)]
    public async Task V3_authPriv_walks_equal_snmpbulkwalk(string userName, AuthProtocol auth, PrivProtocol priv)
    {
        await using var agent = await SnmpdFixture.StartAsync();
        var u = SnmpdFixture.Users.Single(x => x.User == userName);
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromSeconds(2), 1, TimeProvider.System);
        var client = new UsmClient(transport, new UsmUser(userName, SecurityLevel.AuthPriv, auth, u.AuthPass, priv, u.PrivPass), string.Empty, TimeProvider.System, 77, 99);
        await CompareAsync(client, ["-v3", "-l", "authPriv", "-u", userName, "-a", u.Auth, "-A", u.AuthPass, "-x", u.Priv, "-X", u.PrivPass], agent);
    }

    [Fact]
    public async Task The_if_mib_poll_of_snmpd_names_this_machines_interfaces()
    {
        var before = HostInterfaces();
        await using var agent = await SnmpdFixture.StartAsync();
        using var transport = new UdpSnmpTransport("127.0.0.1", agent.Port, TimeSpan.FromSeconds(2), 1, TimeProvider.System);
        var client = new CommunityClient(transport, System.Text.Encoding.UTF8.GetBytes(agent.Community), 42);
        var snapshot = await new IfMibPoller("lab", client, 25, 10, _ => true).PollAsync(CancellationToken.None);
        var after = HostInterfaces();

        // An interface that existed before snmpd started and still exists after the poll is in snmpd's table under
        // its kernel name and index. The other lab tests do not run meanwhile (the collection), so no port comes and goes.
        var stable = before.Where(b => after.Contains(b)).ToList();
        Assert.Contains(stable, i => i.Name == "lo");
        var ports = snapshot.Ports.ToDictionary(p => p.Name);
        Assert.All(stable, i => Assert.Equal(i.IfIndex, Assert.Contains(i.Name, ports).IfIndex));
        Assert.All(snapshot.Ports, p => Assert.True(before.Contains((p.Name, p.IfIndex)) || after.Contains((p.Name, p.IfIndex)),
            $"snmpd names port {p.IfIndex} {p.Name}, which this machine did not have before or after the poll"));
        Assert.False(snapshot.Uses32BitCounters);
        Assert.True(snapshot.Ports.Single(p => p.Name == "lo").ReceiveBytes > 0);
    }

    private static HashSet<(string Name, uint IfIndex)> HostInterfaces()
    {
        var interfaces = new HashSet<(string Name, uint IfIndex)>();
        foreach (var directory in Directory.GetDirectories("/sys/class/net"))
        {
            var index = Path.Combine(directory, "ifindex");
            try
            {
                interfaces.Add((Path.GetFileName(directory), uint.Parse(File.ReadAllText(index).Trim(), System.Globalization.CultureInfo.InvariantCulture)));
            }
            catch (IOException)
            {
                // Deleted since the listing: not there.
            }
        }

        return interfaces;
    }

    private static async Task CompareAsync(SnmpClient client, string[] authArguments, SnmpdFixture agent)
    {
        foreach (var table in new[] { IfTable, IfXTable })
        {
            var before = await SnmpBulkWalkAsync(authArguments, agent, table);
            var ours = (await SnmpWalker.WalkAsync(client, [table], 25, 100_000, CancellationToken.None))[0];
            var after = await SnmpBulkWalkAsync(authArguments, agent, table);
            Assert.True(before.Count > 10, $"snmpbulkwalk returned only {before.Count} rows of {table}");
            Assert.Equal(before.Select(b => b.Oid.ToString()), ours.Select(b => b.Oid.ToString()));
            Assert.Equal(after.Select(b => b.Oid.ToString()), ours.Select(b => b.Oid.ToString()));
            for (var i = 0; i < ours.Count; i++)
            {
                var (low, mine, high) = (before[i].Value, ours[i].Value, after[i].Value);
                Assert.Equal(low.Type, mine.Type);
                if (mine.Type is SnmpType.Counter32 or SnmpType.Counter64)
                {
                    Assert.InRange(mine.Number, low.Number, high.Number);
                }
                else if (low == high)
                {
                    Assert.Equal(low, mine);
                }
            }
        }
    }

    private static async Task<List<VarBind>> SnmpBulkWalkAsync(string[] authArguments, SnmpdFixture agent, Oid table)
    {
        var (exit, stdout, stderr) = await BoundedProcess.RunAsync(
            "snmpbulkwalk", [.. authArguments, "-On", "-Oe", "-Cr25", "-t", "2", "-r", "1", agent.Address, table.ToString()], TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"snmpbulkwalk failed ({exit}): {stderr}");
        return NetSnmpOutput.Parse(stdout);
    }
}
