using FlowExporter.Commands;
using FlowExporter.Configuration;

namespace FlowExporter.Tests.Configuration;

public sealed class CaptureEngineConfigurationTests
{
    private static CaptureOptions Capture(IReadOnlyDictionary<string, string?> flags, Dictionary<string, string?>? environment = null) =>
        ExporterOptions.FromConfiguration(ConfigLoader.Load(null, environment ?? [], flags), "host-1").Capture;

    [Fact]
    public void The_engine_is_auto_with_the_default_map_size_and_sweep_unless_configured()
    {
        var capture = Capture(CommandLine.Parse(["--interface", "eth0"]).Overrides);
        Assert.Equal(CaptureEngineKind.Auto, capture.Engine);
        Assert.Equal(65_536, capture.Ebpf.MaxConnections);
        Assert.Equal(TimeSpan.FromSeconds(1), capture.Ebpf.SweepInterval);
        Assert.Null(capture.Ebpf.ObjectPath);
    }

    [Theory]
    [InlineData("ebpf", CaptureEngineKind.Ebpf)]
    [InlineData("libpcap", CaptureEngineKind.Libpcap)]
    [InlineData("auto", CaptureEngineKind.Auto)]
    public void The_engine_flag_sets_capture_engine(string flag, CaptureEngineKind engine) =>
        Assert.Equal(engine, Capture(CommandLine.Parse(["--interface", "eth0", "--engine", flag]).Overrides).Engine);

    [Fact]
    public void The_ebpf_section_sets_the_map_size_sweep_interval_and_object()
    {
        var capture = Capture(
            CommandLine.Parse(["--interface", "eth0"]).Overrides,
            new Dictionary<string, string?>
            {
                ["FLOWEXPORTER_CAPTURE__EBPF__MAX_CONNECTIONS"] = "4096",
                ["FLOWEXPORTER_CAPTURE__EBPF__SWEEP_INTERVAL"] = "250ms",
                ["FLOWEXPORTER_CAPTURE__EBPF__OBJECT"] = "/opt/flow.bpf.o",
            });
        Assert.Equal(4096, capture.Ebpf.MaxConnections);
        Assert.Equal(TimeSpan.FromMilliseconds(250), capture.Ebpf.SweepInterval);
        Assert.Equal("/opt/flow.bpf.o", capture.Ebpf.ObjectPath);
    }
}
