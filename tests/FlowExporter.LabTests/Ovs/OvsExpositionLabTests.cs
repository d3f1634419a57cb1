using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ovs;

[Trait("Category", "Lab")]
public sealed class OvsExpositionLabTests
{
    [Theory]
    [InlineData("ovsdb")]
    [InlineData("vsctl")]
    public async Task The_exposition_of_a_real_ovs_passes_promtool_check_metrics(string mode)
    {
        LabPrerequisites.RequireOvsLab("promtool");
        await using var lab = await OvsLab.StartAsync("fep");
        var pod = await lab.AddPodAsync("p1", "10.99.6.1/24", new Dictionary<string, string> { ["pod-name"] = "p1", ["pod-namespace"] = "ns1" });
        await using var kit = new OvsLabKit(OvsLabKit.OptionsFor(mode, lab.DbTarget));
        if (mode == "ovsdb")
        {
            await kit.StartAsync();
        }

        var scrape = string.Empty;
        await OvsLabKit.WaitUntilAsync(
            async () => (scrape = await kit.ScrapeAsync()).Contains($"ovs_interface_rx_packets_total{{node=\"lab-node\",bridge=\"br0\",interface=\"{pod.PortName}\"", StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            () => "the pod's counters");

        var file = Path.Combine(lab.Directory, "metrics.txt");
        await File.WriteAllTextAsync(file, scrape);
        var check = await ProcessRunner.RunAsync("sh", ["-c", $"promtool check metrics < {file}"], TimeSpan.FromSeconds(30));
        Assert.True(check.Succeeded, check.StandardOutput + check.StandardError);
        Assert.Equal(string.Empty, (check.StandardOutput + check.StandardError).Trim());
    }
}
