using FlowExporter.Capture.Ebpf;
using FlowExporter.Configuration;
using FlowExporter.Hosting;

namespace FlowExporter.Tests.Capture.Ebpf;

/// <summary>capture.engine decided once at start, with the loader's outcome injected.</summary>
public sealed class EngineSelectorTests
{
    private sealed class LoadedProgram;

    private static readonly Func<LoadedProgram> MustNotLoad = () => throw new InvalidOperationException("the program must not be loaded");

    [Fact]
    public void Libpcap_never_loads_the_program()
    {
        var decision = EngineSelector.Decide(CaptureEngineKind.Libpcap, replay: false, MustNotLoad);
        Assert.Equal("libpcap", decision.Engine);
        Assert.Null(decision.Fallback);
        Assert.Null(decision.FallbackWarning);
    }

    [Theory]
    [InlineData(CaptureEngineKind.Auto)]
    [InlineData(CaptureEngineKind.Ebpf)]
    public void A_replay_is_always_libpcap(CaptureEngineKind requested)
    {
        var decision = EngineSelector.Decide(requested, replay: true, MustNotLoad);
        Assert.Equal("libpcap", decision.Engine);
        Assert.Null(decision.FallbackWarning);
    }

    [Theory]
    [InlineData(CaptureEngineKind.Auto)]
    [InlineData(CaptureEngineKind.Ebpf)]
    public void A_program_that_loads_makes_the_engine_ebpf(CaptureEngineKind requested)
    {
        var program = new LoadedProgram();
        var decision = EngineSelector.Decide(requested, replay: false, () => program);
        Assert.True(decision.IsEbpf);
        Assert.Same(program, decision.Program);
        Assert.Null(decision.FallbackWarning);
    }

    [Theory]
    [InlineData(EbpfFailureKind.MissingCapability, "missing_capability")]
    [InlineData(EbpfFailureKind.NoClsact, "no_clsact")]
    [InlineData(EbpfFailureKind.LibbpfMissing, "libbpf_missing")]
    [InlineData(EbpfFailureKind.ObjectInvalid, "object_invalid")]
    public void Auto_falls_back_to_libpcap_with_one_warning_naming_the_reason(EbpfFailureKind kind, string reason)
    {
        var failure = new EbpfException(kind, 1, "loading the eBPF program was refused");
        var decision = EngineSelector.Decide<LoadedProgram>(CaptureEngineKind.Auto, replay: false, () => throw failure);
        Assert.Equal("libpcap", decision.Engine);
        Assert.Null(decision.Program);
        Assert.Same(failure, decision.Fallback);
        Assert.Equal(
            $"capture.engine auto: the eBPF engine cannot be used here ({reason}: loading the eBPF program was refused); capturing with libpcap",
            decision.FallbackWarning);
    }

    [Fact]
    public void Auto_names_the_verifiers_last_lines_when_it_rejected_the_program()
    {
        var failure = new EbpfException(
            EbpfFailureKind.VerifierRejected, 13, "the kernel's verifier rejected the eBPF program (Permission denied (errno 13)); its last lines:", ["0: (61) r2 = *(u32 *)(r1 +76)", "invalid access to packet, off=0 size=4"]);
        var decision = EngineSelector.Decide<LoadedProgram>(CaptureEngineKind.Auto, replay: false, () => throw failure);
        Assert.Equal("libpcap", decision.Engine);
        Assert.Contains("(verifier_rejected: the kernel's verifier rejected", decision.FallbackWarning, StringComparison.Ordinal);
        Assert.Contains("invalid access to packet, off=0 size=4", decision.FallbackWarning, StringComparison.Ordinal);
    }

    [Fact]
    public void Ebpf_that_cannot_load_stops_the_start_saying_why()
    {
        var failure = new EbpfException(EbpfFailureKind.MissingCapability, 1, "loading the eBPF program was refused (Operation not permitted (errno 1)): the process needs CAP_BPF and CAP_NET_ADMIN");
        var error = Assert.Throws<ConfigException>(() => EngineSelector.Decide<LoadedProgram>(CaptureEngineKind.Ebpf, replay: false, () => throw failure));
        Assert.Equal(
            "config: capture.engine: ebpf cannot be used here (missing_capability): loading the eBPF program was refused (Operation not permitted (errno 1)): the process needs CAP_BPF and CAP_NET_ADMIN",
            error.Message);
    }

    [Fact]
    public async Task The_exporter_exits_2_when_ebpf_is_asked_and_cannot_load()
    {
        // A missing object fails before any kernel call, so this runs anywhere.
        var environment = new Dictionary<string, string> { ["FLOWEXPORTER_CAPTURE__EBPF__OBJECT"] = "/nonexistent/flow.bpf.o" };
        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync(["--listen", "127.0.0.1:0", "--interface", "lo", "--engine", "ebpf"], output, error, environment, timeout.Token);
        Assert.Equal(2, exit);
        Assert.Equal(
            "flowexporter: config: capture.engine: ebpf cannot be used here (object_invalid): the eBPF object /nonexistent/flow.bpf.o does not exist\n",
            error.ToString().ReplaceLineEndings("\n"));
    }

    /// <summary>A capture filter is libpcap's alone: never silently dropped by choosing the eBPF engine.</summary>
    [Fact]
    public void Auto_with_a_capture_filter_captures_with_libpcap_and_says_why_without_loading()
    {
        var decision = EngineSelector.Decide(CaptureEngineKind.Auto, replay: false, MustNotLoad, captureFilter: true);
        Assert.Equal("libpcap", decision.Engine);
        Assert.Null(decision.FallbackWarning);
        Assert.Equal("capture.bpf is set, and only the libpcap engine applies a capture filter", decision.Why);
    }

    [Fact]
    public async Task The_exporter_exits_2_when_ebpf_is_asked_with_a_capture_filter()
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync(
            ["--listen", "127.0.0.1:0", "--interface", "lo", "--engine", "ebpf", "--bpf", "not tcp port 9004"], output, error, new Dictionary<string, string>(), timeout.Token);
        Assert.Equal(2, exit);
        Assert.Equal(
            "flowexporter: config: capture.engine: ebpf cannot apply capture.bpf (a libpcap filter): remove capture.bpf, or choose libpcap or auto\n",
            error.ToString().ReplaceLineEndings("\n"));
    }
}
