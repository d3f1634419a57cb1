using FlowExporter.Configuration;

namespace FlowExporter.Capture.Ebpf;

/// <summary>Decides <c>capture.engine</c> once at start, from the setting and what loading the program did.</summary>
public static class EngineSelector
{
    public const string Ebpf = "ebpf";
    public const string Libpcap = "libpcap";

    /// <summary>
    /// A replay and <c>libpcap</c> never load anything; <c>auto</c> and <c>ebpf</c> load the program, and a failure
    /// falls back (auto) or stops the start with a configuration error, exit 2 (ebpf). A capture filter
    /// (<paramref name="captureFilter"/>: <c>capture.bpf</c> is set) is libpcap's alone: <c>auto</c> then captures with
    /// libpcap and says why, <c>ebpf</c> is refused, so that the filter is never silently ignored.
    /// </summary>
    public static EngineDecision<TProgram> Decide<TProgram>(CaptureEngineKind requested, bool replay, Func<TProgram> load, bool captureFilter = false)
        where TProgram : class
    {
        ArgumentNullException.ThrowIfNull(load);
        if (replay || requested == CaptureEngineKind.Libpcap)
        {
            return new EngineDecision<TProgram>(Libpcap, null, null);
        }

        if (captureFilter)
        {
            return requested == CaptureEngineKind.Auto
                ? new EngineDecision<TProgram>(Libpcap, null, null, "capture.bpf is set, and only the libpcap engine applies a capture filter")
                : throw new ConfigException("capture.engine", "ebpf cannot apply capture.bpf (a libpcap filter): remove capture.bpf, or choose libpcap or auto");
        }

        try
        {
            return new EngineDecision<TProgram>(Ebpf, load(), null);
        }
        catch (EbpfException failure) when (requested == CaptureEngineKind.Auto)
        {
            return new EngineDecision<TProgram>(Libpcap, null, failure);
        }
        catch (EbpfException failure)
        {
            throw new ConfigException("capture.engine", $"ebpf cannot be used here ({Reason(failure.Kind)}): {failure.Message}");
        }
    }

    /// <summary>A failure's kind as logs and health reasons say it: missing_capability, no_clsact, verifier_rejected...</summary>
    public static string Reason(EbpfFailureKind kind) => kind switch
    {
        EbpfFailureKind.MissingCapability => "missing_capability",
        EbpfFailureKind.NoClsact => "no_clsact",
        EbpfFailureKind.VerifierRejected => "verifier_rejected",
        EbpfFailureKind.ObjectInvalid => "object_invalid",
        EbpfFailureKind.LibbpfMissing => "libbpf_missing",
        EbpfFailureKind.InterfaceMissing => "interface_missing",
        _ => "other",
    };
}
