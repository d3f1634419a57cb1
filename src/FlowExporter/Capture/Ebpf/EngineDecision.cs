namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// The capture engine chosen once at start (<see cref="EngineSelector.Decide"/>): <see cref="Program"/> is the loaded
/// eBPF program when the engine is eBPF; <see cref="Fallback"/> is why <c>auto</c> fell back to libpcap (null when it
/// did not); <see cref="Why"/> says why <c>auto</c> chose libpcap without trying eBPF (a capture filter is set).
/// </summary>
/// <typeparam name="TProgram">The loaded program (<see cref="EbpfProgram"/>; a stand-in in tests).</typeparam>
public sealed record EngineDecision<TProgram>(string Engine, TProgram? Program, EbpfException? Fallback, string? Why = null)
    where TProgram : class
{
    public bool IsEbpf => Engine == EngineSelector.Ebpf;

    /// <summary>The one warning <c>auto</c> logs when it falls back; null when it did not.</summary>
    public string? FallbackWarning => Fallback is null
        ? null
        : $"capture.engine auto: the eBPF engine cannot be used here ({EngineSelector.Reason(Fallback.Kind)}: {Fallback.Message}); capturing with libpcap";
}
