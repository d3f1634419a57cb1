using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsFixtureParsingTests
{
    [Fact]
    public void Select_rows_of_table_interface_parse_with_exact_values()
    {
        using var doc = OvsFixtures.Json("ovsdb-select-interface-rows.json");
        var rows = doc.RootElement.EnumerateArray()
            .Select(r => OvsRowReader.Interface(OvsRowReader.OwnUuid("Interface", OvsdbRow.FromObject(r)), OvsdbRow.FromObject(r)))
            .ToDictionary(r => r.Name);

        Assert.Equal(6, rows.Count);
        var missing = rows["veth_hostc0"];
        Assert.Equal("e3c7171d-6b71-48a8-8194-556a9edf7105", missing.Uuid);
        Assert.Equal(-1L, missing.OfPort);
        Assert.Equal("could not open network device veth_hostc0 (No such device)", missing.Error);
        Assert.Null(missing.LinkState);
        Assert.Null(missing.AdminState);
        Assert.Equal(default, missing.Counters);
        Assert.Empty(missing.ExternalIds);

        var veth = rows["87be70c563b24_l"];
        Assert.Equal(1L, veth.OfPort);
        Assert.Equal(string.Empty, veth.Type);
        Assert.Equal("up", veth.LinkState);
        Assert.Equal("up", veth.AdminState);
        Assert.Equal(new OvsInterfaceCounters(1026, 13, 0, 0, 1674, 21, 0, 0), veth.Counters);
        Assert.Equal("container1", veth.ExternalIds["container_id"]);
        Assert.Equal(OvsEndpointConvention.None, OvsEndpointMapper.Map(veth.ExternalIds).Convention);
        Assert.False(OvsEndpointMapper.Map(veth.ExternalIds).IsMapped);

        var bridge = rows["ovs-br1"];
        Assert.Equal("internal", bridge.Type);
        Assert.Equal(65534L, bridge.OfPort);
        Assert.Equal(new OvsInterfaceCounters(1100, 17, 0, 0, 648, 8, 0, 0), bridge.Counters);
    }

    [Fact]
    public void Select_rows_of_table_bridge_read_ports_as_a_set_or_a_single_uuid()
    {
        using var doc = OvsFixtures.Json("ovsdb-select-bridge-rows.json");
        var bridges = doc.RootElement.EnumerateArray()
            .Select(r => OvsRowReader.Bridge(OvsRowReader.OwnUuid("Bridge", OvsdbRow.FromObject(r)), OvsdbRow.FromObject(r)))
            .ToDictionary(b => b.Name);

        Assert.Equal(3, bridges.Count);
        Assert.Equal(["5d277ad5-0670-4d69-8522-3d2bdc65b01d"], bridges["ovs-br2"].PortUuids);
        Assert.Equal(
            ["5ac4abb8-e9dd-4cd5-ad4b-e54426012e30", "d0f48d2f-8cf5-4034-a6b1-547b8597a0a7", "ff34b74c-f247-4968-9ece-d0ff0174d81b"],
            bridges["ovs-br1"].PortUuids);
        Assert.Equal(2, bridges["ovsbr0"].PortUuids.Count);
    }

    [Fact]
    public void Vsctl_listing_from_the_lab_joins_bridges_ports_interfaces_and_maps_every_cni()
    {
        var snapshot = OvsVsctlOutput.Parse(OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json"));

        Assert.Equal(["antr", "br0", "kovn", "ostk", "ovnk"], snapshot.Interfaces.Select(i => i.Interface.Name));
        Assert.All(snapshot.Interfaces, i => Assert.Equal("br0", i.Bridge));
        var byName = snapshot.Interfaces.ToDictionary(i => i.Interface.Name);

        var ovnk = byName["ovnk"];
        Assert.Equal(1L, ovnk.Interface.OfPort);
        Assert.Equal(new OvsInterfaceCounters(852, 10, 0, 0, 2044, 24, 0, 0), ovnk.Interface.Counters);
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.OvnKubernetes, "shop", "frontend-7d9f8-abcde", "shop_frontend-7d9f8-abcde", "9a:68:f9:53:be:27", null), ovnk.Endpoint);

        var kovn = byName["kovn"];
        Assert.Equal(2L, kovn.Interface.OfPort);
        Assert.Equal(new OvsInterfaceCounters(852, 10, 0, 0, 1868, 22, 0, 0), kovn.Interface.Counters);
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.KubeOvn, "cache", "redis-0", "redis-0.cache", null, "10.99.2.2"), kovn.Endpoint);

        var antr = byName["antr"];
        Assert.Equal(new OvsInterfaceCounters(516, 6, 0, 0, 1660, 20, 0, 0), antr.Interface.Counters);
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.Antrea, "backend", "api-5c6b7-xyz12", null, "5e:e2:eb:23:cd:97", "10.99.2.3"), antr.Endpoint);

        var ostk = byName["ostk"];
        Assert.Equal(new OvsEndpoint(OvsEndpointConvention.OpenStack, null, null, "3f1c6a52-9e0b-4c1e-8d2b-6a7e5f4c3b2a", "4e:dc:d4:76:5f:9f", null), ostk.Endpoint);
        Assert.False(ostk.Endpoint.IsMapped);

        var br0 = byName["br0"];
        Assert.Equal("internal", br0.Interface.Type);
        Assert.Equal(65534L, br0.Interface.OfPort);
        Assert.Equal("down", br0.Interface.LinkState);
        Assert.Equal(20L, br0.Interface.Counters.TxDropped);
        Assert.Same(OvsEndpoint.Unmapped, br0.Endpoint);
    }

    [Fact]
    public void Monitor_reply_and_update_from_the_lab_give_the_same_model_as_vsctl_and_move_the_counters()
    {
        var session = OvsFixtures.MonitorSession();
        var database = new OvsDatabase();
        database.ApplyTableUpdates(session[0].RootElement.GetProperty("result"));
        var initial = database.ToSnapshot();
        var listed = OvsVsctlOutput.Parse(OvsFixtures.Bytes("lab-vsctl-bridge-port-interface.json"));

        Assert.Equal(
            listed.Interfaces.Select(i => (i.Bridge, i.Port, i.Interface.Uuid, i.Interface.Name, i.Interface.OfPort, i.Interface.Type, i.Endpoint)),
            initial.Interfaces.Select(i => (i.Bridge, i.Port, i.Interface.Uuid, i.Interface.Name, i.Interface.OfPort, i.Interface.Type, i.Endpoint)));

        var update = session[1].RootElement;
        Assert.Equal("update", update.GetProperty("method").GetString());
        database.ApplyTableUpdates(update.GetProperty("params")[1]);
        var after = database.ToSnapshot().Interfaces.ToDictionary(i => i.Interface.Name);
        Assert.Equal((964L, 2366L, 12L, 29L), Tuple(after["ovnk"].Interface.Counters));
        Assert.Equal((964L, 2190L, 12L, 27L), Tuple(after["kovn"].Interface.Counters));
        Assert.Equal((586L, 1940L, 7L, 24L), Tuple(after["antr"].Interface.Counters));
        Assert.Equal((586L, 1854L, 7L, 23L), Tuple(after["ostk"].Interface.Counters));
        Assert.Equal("cache", after["kovn"].Endpoint.PodNamespace);
    }

    private static (long?, long?, long?, long?) Tuple(OvsInterfaceCounters c) => (c.RxBytes, c.TxBytes, c.RxPackets, c.TxPackets);
}
