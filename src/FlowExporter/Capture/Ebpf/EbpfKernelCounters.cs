namespace FlowExporter.Capture.Ebpf;

/// <summary>The program's own counters since it was loaded, summed over CPUs (indexes as bpf/flow.bpf.c's enum counter).</summary>
public readonly record struct EbpfKernelCounters(
    ulong MapFull,
    ulong NotIp,
    ulong Truncated,
    ulong OrphanFragment,
    ulong FragmentTableFull,
    ulong Unsupported);
