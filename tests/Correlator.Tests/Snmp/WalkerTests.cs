using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class WalkerTests
{
    private static readonly Oid IfName = Oid.Parse("1.3.6.1.2.1.31.1.1.1.1");
    private static readonly Oid IfHCInOctets = Oid.Parse("1.3.6.1.2.1.31.1.1.1.6");

    private static CommunityClient Client(FakeAgent agent) => new(agent, "public"u8.ToArray(), 1000);

    [Fact]
    public async Task A_walk_returns_exactly_the_subtree_and_stops_at_its_end()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var agent = new FakeAgent(mib);
        var walked = await SnmpWalker.WalkAsync(Client(agent), [IfName], 5, 1000, CancellationToken.None);
        var expected = mib.Where(p => IfName.IsAncestorOf(p.Key)).Select(p => new VarBind(p.Key, p.Value)).ToArray();
        Assert.Equal(23, expected.Length);
        Assert.Equal(expected, walked[0]);
        Assert.Equal(5, agent.Requests); // 23 rows, 5 per request: the fifth answer leaves the subtree
    }

    [Fact]
    public async Task Columns_walked_side_by_side_equal_separate_walks_even_when_answers_are_truncated()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var together = await SnmpWalker.WalkAsync(Client(new FakeAgent(mib) { MaxBindingsPerResponse = 7 }), [IfName, IfHCInOctets], 10, 1000, CancellationToken.None);
        var alone0 = await SnmpWalker.WalkAsync(Client(new FakeAgent(mib)), [IfName], 3, 1000, CancellationToken.None);
        var alone1 = await SnmpWalker.WalkAsync(Client(new FakeAgent(mib)), [IfHCInOctets], 50, 1000, CancellationToken.None);
        Assert.Equal(alone0[0], together[0]);
        Assert.Equal(alone1[0], together[1]);
        Assert.Equal(23, together[1].Count);
    }

    [Fact]
    public async Task A_walk_at_the_end_of_the_mib_stops_on_end_of_mib_view()
    {
        var mib = new Dictionary<Oid, SnmpValue>
        {
            [Oid.Parse("1.3.6.1.2.1.31.1.1.1.1.1")] = SnmpValue.OctetString("lo"),
            [Oid.Parse("1.3.6.1.2.1.31.1.1.1.1.2")] = SnmpValue.OctetString("eth0"),
        };
        var walked = await SnmpWalker.WalkAsync(Client(new FakeAgent(mib)), [IfName], 25, 1000, CancellationToken.None);
        Assert.Equal(["lo", "eth0"], walked[0].Select(b => b.Value.AsText()).ToArray());
    }

    [Fact]
    public async Task An_agent_returning_non_increasing_oids_fails_the_walk()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var agent = new FakeAgent(mib) { GoBackwardsAfter = IfName.Append(5) };
        var error = await Assert.ThrowsAsync<SnmpRequestException>(() => SnmpWalker.WalkAsync(Client(agent), [IfName], 2, 1000, CancellationToken.None));
        Assert.Equal(SnmpFailure.OidNotIncreasing, error.Failure);
    }

    [Fact]
    public async Task Too_big_halves_max_repetitions()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var agent = new FakeAgent(mib) { TooBigAboveRepetitions = 6 };
        var walked = await SnmpWalker.WalkAsync(Client(agent), [IfName], 25, 1000, CancellationToken.None);
        Assert.Equal(23, walked[0].Count);
    }

    [Fact]
    public async Task Row_limit_bounds_a_runaway_table()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var error = await Assert.ThrowsAsync<SnmpRequestException>(() => SnmpWalker.WalkAsync(Client(new FakeAgent(mib)), [IfName], 25, 10, CancellationToken.None));
        Assert.Equal(SnmpFailure.TooManyRows, error.Failure);
    }

    [Fact]
    public async Task Stale_duplicate_foreign_and_broken_datagrams_are_ignored()
    {
        var mib = Recordings.Load("dlink-des3200-18.ifmib.snmprec");
        var agent = new FakeAgent(mib) { SendStaleAndDuplicateFirst = true };
        var client = Client(agent);
        var answer = await client.GetAsync([Oid.Parse("1.3.6.1.2.1.1.5.0")], CancellationToken.None);
        Assert.Equal("des3200-18-kotel.ryl", answer.VarBinds[0].Value.AsText());
        Assert.Equal(3, agent.StaleAnswersIgnored);
    }

    [Fact]
    public async Task Get_next_returns_the_following_oid()
    {
        var mib = Recordings.Load("netsnmp-linux.ifmib.snmpwalk");
        var answer = await Client(new FakeAgent(mib)).GetNextAsync([IfHCInOctets], CancellationToken.None);
        Assert.Equal(new VarBind(IfHCInOctets.Append(1), SnmpValue.Unsigned(SnmpType.Counter64, 12240978269)), answer.VarBinds[0]);
    }
}
