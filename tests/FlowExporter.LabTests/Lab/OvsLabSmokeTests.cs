namespace FlowExporter.LabTests.Lab;

[Trait("Category", "Lab")]
public sealed class OvsLabSmokeTests
{
    [Fact]
    public async Task Two_pods_on_the_lab_bridge_reach_each_other_and_everything_is_removed_afterwards()
    {
        string node;
        string dir;
        string[] pods;
        await using (var lab = await OvsLab.StartAsync("fel"))
        {
            var a = await lab.AddPodAsync("pa", "10.99.1.1/24", new Dictionary<string, string> { ["iface-id"] = "default_pa" });
            var b = await lab.AddPodAsync("pb", "10.99.1.2/24");
            var ping = await OvsLab.ExecAsync(a.Namespace, ["ping", "-c", "1", "-W", "5", b.Ip], check: false);
            Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
            var ids = await lab.VsctlAsync(["get", "Interface", a.PortName, "external_ids"]);
            Assert.Contains("iface-id=default_pa", ids);
            Assert.Contains(a.Mac, ids);
            node = lab.NodeNamespace;
            dir = lab.Directory;
            pods = [a.Namespace, b.Namespace];
        }

        var namespaces = (await ProcessRunner.CheckAsync("ip", ["netns", "list"])).StandardOutput;
        Assert.DoesNotContain(node, namespaces);
        Assert.All(pods, p => Assert.DoesNotContain(p, namespaces));
        Assert.False(Directory.Exists(dir));
    }
}
