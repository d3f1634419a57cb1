using System.Globalization;
using System.Text.RegularExpressions;
using FlowExporter.Capture.Ebpf;
using FlowExporter.LabTests.Lab;
using FlowExporter.LabTests.Support;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>
/// The attachment's life on a device it shares with other tools: a kill -9 leaves our filter behind and the next
/// attach replaces it (one of ours per hook, counting again), other tools' filters and their qdisc survive everything,
/// and a clean stop removes our filters and the qdisc only when we created it.
/// </summary>
[Trait("Category", "Lab")]
public sealed partial class EbpfAttachmentLabTests
{
    private static readonly string Ours = VethPairLab.Pref(TcAttachment.Priority);

    [Fact]
    public async Task After_kill_9_a_new_attach_replaces_our_filter_and_other_tools_filters_survive()
    {
        LabPrerequisites.Require("ip", "ethtool", "tc", "ping");
        await using var lab = await VethPairLab.StartAsync();
        await Tc(lab, "qdisc", "add", "dev", lab.InterfaceA, "clsact");
        await Tc(lab, "filter", "add", "dev", lab.InterfaceA, "ingress", "prio", "30", "protocol", "all", "u32", "match", "u32", "0", "0", "classid", "1:1");
        await Tc(lab, "filter", "add", "dev", lab.InterfaceA, "egress", "prio", "40", "handle", "7", "bpf", "da", "obj", EbpfProgram.DefaultObjectPath, "sec", "tc");

        await using (var holder = BackgroundProcess.Start(lab.NamespaceA, Path.Combine(AppContext.BaseDirectory, "ebpf-attach"), ["hold", lab.InterfaceA, "100"]))
        {
            await holder.WaitForOutputAsync("attached", TimeSpan.FromSeconds(30));
            await ProcessRunnerSignals.SendAsync(holder.Id, "KILL");
            Assert.True(await holder.WaitForExitAsync(TimeSpan.FromSeconds(10)), "the holder died");
            Assert.DoesNotContain("detached", holder.Output, StringComparison.Ordinal);
        }

        var killedIngress = Assert.Single(await lab.FiltersAsync("ingress"), line => line.Contains(Ours, StringComparison.Ordinal));
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        try
        {
            Assert.False(attachment.CreatedQdisc, "the clsact qdisc was another tool's");
            var ingress = await lab.FiltersAsync("ingress");
            var egress = await lab.FiltersAsync("egress");
            var ourIngress = Assert.Single(ingress, line => line.Contains(Ours, StringComparison.Ordinal));
            Assert.Single(egress, line => line.Contains(Ours, StringComparison.Ordinal));
            Assert.NotEqual(ProgramId(killedIngress), ProgramId(ourIngress));
            Assert.Contains("name flowexporter_in", ourIngress, StringComparison.Ordinal); // program names are cut to 15 characters
            Assert.Equal(["17", "30"], await lab.PrioritiesAsync("ingress"));
            Assert.Equal(["17", "40"], await lab.PrioritiesAsync("egress"));
            Assert.True(NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.IsAttached(lab.IndexA, ingress: true)));

            // Counting resumes in this process's maps.
            await VethPairLab.ExecAsync(lab.NamespaceA, ["ping", "-c", "3", "-i", "0.2", VethPairLab.AddressB], TimeSpan.FromSeconds(20));
            var samples = new List<EbpfConnectionSample>();
            new EbpfSweeper(program, TimeProvider.System).Sweep(samples, CancellationToken.None);
            var ping = Assert.Single(samples, s => s.Protocol == 1);
            Assert.Equal((3UL, 3UL), (ping.PacketsFromA, ping.PacketsFromB));
        }
        finally
        {
            NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        }

        Assert.Equal(0, attachment.DetachError);
        var ingressAfter = await lab.FiltersAsync("ingress");
        var egressAfter = await lab.FiltersAsync("egress");
        Assert.DoesNotContain(ingressAfter, line => line.Contains(Ours, StringComparison.Ordinal));
        Assert.DoesNotContain(egressAfter, line => line.Contains(Ours, StringComparison.Ordinal));
        Assert.Equal(["30"], await lab.PrioritiesAsync("ingress"));
        Assert.Equal(["40"], await lab.PrioritiesAsync("egress"));
        Assert.Contains("clsact", (await VethPairLab.ExecAsync(lab.NamespaceA, ["tc", "qdisc", "show", "dev", lab.InterfaceA], TimeSpan.FromSeconds(10))).StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_by_sigterm_removes_our_filters_and_the_qdisc_we_created()
    {
        LabPrerequisites.Require("ip", "ethtool", "tc");
        await using var lab = await VethPairLab.StartAsync();
        await using (var holder = BackgroundProcess.Start(lab.NamespaceA, Path.Combine(AppContext.BaseDirectory, "ebpf-attach"), ["hold", lab.InterfaceA, "100"]))
        {
            await holder.WaitForOutputAsync("attached", TimeSpan.FromSeconds(30));
            Assert.Single(await lab.FiltersAsync("ingress"));
            Assert.Single(await lab.FiltersAsync("egress"));
            Assert.True(await holder.StopAsync(TimeSpan.FromSeconds(10)));
            Assert.Contains("detached error=0", holder.Output, StringComparison.Ordinal);
        }

        var qdiscs = await VethPairLab.ExecAsync(lab.NamespaceA, ["tc", "qdisc", "show", "dev", lab.InterfaceA], TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("clsact", qdiscs.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_interface_that_vanishes_takes_our_filters_and_detaching_it_is_not_an_error()
    {
        LabPrerequisites.Require("ip", "ethtool", "tc");
        await using var lab = await VethPairLab.StartAsync();
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var attachment = NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, lab.IndexA));
        await ProcessRunner.CheckAsync("ip", ["-n", lab.NamespaceA, "link", "del", lab.InterfaceA]);
        NetworkNamespaceThread.Run(lab.NamespaceA, () => { attachment.Dispose(); return 0; });
        Assert.Equal(0, attachment.DetachError);
    }

    private static long ProgramId(string filterLine) =>
        long.Parse(ProgramIdText().Match(filterLine).Groups[1].Value, CultureInfo.InvariantCulture);

    private static Task<ProcessResult> Tc(VethPairLab lab, params string[] arguments) =>
        VethPairLab.ExecAsync(lab.NamespaceA, ["tc", .. arguments], TimeSpan.FromSeconds(10));

    [GeneratedRegex(" id (\\d+) ")]
    private static partial Regex ProgramIdText();
}
