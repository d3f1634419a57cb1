using FlowExporter.Commands;
using FlowExporter.Configuration;
using FlowExporter.Correlator.CapturePoints;

namespace FlowExporter.Tests.Configuration;

/// <summary>The capture-point keys of the <c>capture</c> section: selectors, discovery, bounds and ring sizes.</summary>
public sealed class CaptureSelectorConfigurationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-points-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private CaptureOptions Load(string? yaml, IReadOnlyDictionary<string, string?>? flags = null)
    {
        string? file = null;
        if (yaml is not null)
        {
            file = Path.Combine(_directory, "config.yaml");
            File.WriteAllText(file, yaml);
        }

        return ExporterOptions.FromConfiguration(ConfigLoader.Load(file, new Dictionary<string, string?>(), flags ?? new Dictionary<string, string?>()), "host-1").Capture;
    }

    [Fact]
    public void Defaults_are_512_points_and_a_1_MiB_ring_per_pod_port_beside_the_16_MiB_uplink_ring()
    {
        var capture = Load(null);
        Assert.Empty(capture.Discover);
        Assert.Equal(new CapturePointPolicy(512, 16 * 1024 * 1024, 1024 * 1024), capture.Policy());
    }

    [Fact]
    public void Globs_excludes_and_discovery_alone_turn_capture_on()
    {
        var capture = Load("""
            capture:
              interfaces: ["veth*", "!veth-test*", eth0]
              discover: [ovs_pod_ports, uplinks]
              max_points: 64
              pod_buffer_bytes: 262144
              buffer_bytes: 8388608
            """);
        Assert.True(capture.Enabled);
        var selectors = capture.Selectors();
        Assert.Equal(["veth*", "eth0"], selectors.Includes.Select(s => s.Entry));
        Assert.Equal(["!veth-test*"], selectors.Excludes.Select(s => s.Entry));
        Assert.Equal(new HashSet<DiscoverySource> { DiscoverySource.OvsPodPorts, DiscoverySource.Uplinks }, selectors.Discover);
        Assert.Equal(new CapturePointPolicy(64, 8 * 1024 * 1024, 256 * 1024), capture.Policy());

        Assert.True(Load("capture:\n  discover: [uplinks]\n").Enabled);
    }

    [Fact]
    public void The_interface_flag_takes_globs_and_excludes_as_the_file_does()
    {
        var flags = CommandLine.Parse(["--interface", "cali*", "--interface", "!cali-test*"]).Overrides;
        var selectors = Load(null, flags).Selectors();
        Assert.Equal(["cali*"], selectors.Includes.Select(s => s.Entry));
        Assert.Equal(["!cali-test*"], selectors.Excludes.Select(s => s.Entry));

        var bad = Assert.Throws<ConfigException>(() => Load(null, CommandLine.Parse(["--interface", "lxc[a-"]).Overrides));
        Assert.Equal("config: capture.interfaces.0: 'lxc[a-': invalid interface name or glob: the class opened at position 4 is not closed with ']'", bad.Message);
    }

    [Fact]
    public void Discovery_cannot_be_combined_with_a_replayed_file()
    {
        var error = Assert.Throws<ConfigException>(() => Load("capture:\n  discover: [uplinks]\n  replay_file: /x.pcap\n"));
        Assert.Equal("config: capture.replay_file: cannot be combined with capture.discover (replay is for testing and simulation)", error.Message);
    }
}
