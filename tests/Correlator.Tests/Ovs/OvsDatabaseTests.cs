using System.Text.Json;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Correlator.Tests.Ovs;

public sealed class OvsDatabaseTests
{
    private static JsonElement J(string json) => JsonDocument.Parse(json.Replace('\'', '"')).RootElement;

    private static OvsDatabase Loaded()
    {
        var database = new OvsDatabase();
        database.ApplyTableUpdates(OvsFixtures.MonitorSession()[0].RootElement.GetProperty("result"));
        return database;
    }

    [Fact]
    public void A_deleted_port_and_interface_leave_the_snapshot()
    {
        var database = Loaded();
        var port = database.ToSnapshot().Interfaces.Single(i => i.Interface.Name == "kovn");
        // What ovsdb-server sends on del-port: Bridge modified (ports without it), Port and Interface deleted.
        var result = OvsFixtures.MonitorSession()[0].RootElement.GetProperty("result");
        var bridgeUuid = result.GetProperty("Bridge").EnumerateObject().Single().Name;
        var ports = result.GetProperty("Bridge").GetProperty(bridgeUuid).GetProperty("new").GetProperty("ports")[1]
            .EnumerateArray().Select(u => u[1].GetString()!).ToList();
        var portUuid = result.GetProperty("Port").EnumerateObject().Single(p => p.Value.GetProperty("new").GetProperty("name").GetString() == "kovn").Name;
        ports.Remove(portUuid);
        var portSet = string.Join(',', ports.Select(p => "['uuid','" + p + "']"));
        var update =
            "{'Bridge': {'" + bridgeUuid + "': {'old': {'ports': []}, 'new': {'name': 'br0', 'ports': ['set', [" + portSet + "]]}}}," +
            " 'Port': {'" + portUuid + "': {'old': {'name': 'kovn', 'interfaces': ['uuid', '" + port.Interface.Uuid + "']}}}," +
            " 'Interface': {'" + port.Interface.Uuid + "': {'old': {'name': 'kovn'}}}}";


        database.ApplyTableUpdates(J(update));

        Assert.Equal(["antr", "br0", "ostk", "ovnk"], database.ToSnapshot().Interfaces.Select(i => i.Interface.Name));
        Assert.Equal(4, database.InterfaceCount);
        Assert.Equal(4, database.PortCount);
    }

    [Fact]
    public void An_added_port_appears_once_its_bridge_references_it_and_without_statistics_it_has_no_counters()
    {
        var database = new OvsDatabase();
        database.ApplyTableUpdates(J("{'Bridge':{'b1':{'new':{'name':'br1','ports':['set',[]]}}}}"));
        Assert.Empty(database.ToSnapshot().Interfaces);

        database.ApplyTableUpdates(J(
            "{'Interface':{'i1':{'new':{'name':'p1','type':'','ofport':['set',[]],'admin_state':['set',[]],'link_state':['set',[]]," +
            "'mac_in_use':['set',[]],'error':['set',[]],'external_ids':['map',[['iface-id','ns_p']]],'statistics':['map',[]]}}}," +
            "'Port':{'pp1':{'new':{'name':'p1','interfaces':['uuid','i1']}}}}"));
        Assert.Empty(database.ToSnapshot().Interfaces); // not on a bridge yet

        database.ApplyTableUpdates(J("{'Bridge':{'b1':{'old':{'ports':['set',[]]},'new':{'name':'br1','ports':['uuid','pp1']}}}}"));
        var sample = Assert.Single(database.ToSnapshot().Interfaces);
        Assert.Equal(("br1", "p1", "p1"), (sample.Bridge, sample.Port, sample.Interface.Name));
        Assert.Null(sample.Interface.OfPort);
        Assert.Equal(default, sample.Interface.Counters);
        Assert.Equal(("ns", "p"), (sample.Endpoint.PodNamespace, sample.Endpoint.PodName));
    }

    [Fact]
    public void A_malformed_update_changes_nothing()
    {
        var database = Loaded();
        var before = database.ToSnapshot().Interfaces.Select(i => i.Interface).ToList();
        var uuid = before[0].Uuid;

        Assert.Throws<OvsdbFormatException>(() => database.ApplyTableUpdates(J(
            "{'Interface':{'" + uuid + "':{'new':{'name':'antr','statistics':['map',[['rx_bytes',1]]]}}," +
            "'x':{'new':{'name':'bad','statistics':['map',[['rx_bytes','lots']]]}}}}")));
        Assert.Throws<OvsdbFormatException>(() => database.ApplyTableUpdates(J("[]")));
        Assert.Throws<OvsdbFormatException>(() => database.ApplyTableUpdates(J("{'Port':{'p':{'new':{'interfaces':['set',[]]}}}}")));

        Assert.Equal(before, database.ToSnapshot().Interfaces.Select(i => i.Interface));
    }

    [Fact]
    public void Unknown_tables_are_ignored()
    {
        var database = Loaded();
        database.ApplyTableUpdates(J("{'Open_vSwitch':{'o':{'new':{'ovs_version':'3.1.0'}}}}"));
        Assert.Equal(5, database.ToSnapshot().Interfaces.Count);
    }
}
