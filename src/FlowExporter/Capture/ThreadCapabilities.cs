using System.Runtime.InteropServices;

namespace FlowExporter.Capture;

/// <summary>
/// The calling thread's Linux capabilities (capget/capset). The container image gives the exporter CAP_NET_RAW,
/// CAP_NET_ADMIN, CAP_BPF and CAP_PERFMON as file capabilities in the permitted set only, so that a container which does
/// not grant them still starts; a thread raises what it is permitted into its effective set before it opens a device,
/// loads or attaches the eBPF program, or reads its maps (with unprivileged BPF disabled every bpf(2) call needs
/// CAP_BPF). Capabilities are per thread, and those calls run on pool threads: each call site raises for its thread;
/// once raised, the check costs one capget.
/// </summary>
internal static unsafe partial class ThreadCapabilities
{
    public const int NetRaw = 13;

    public const int Bpf = 39;

    private const uint Version3 = 0x20080522;

    [StructLayout(LayoutKind.Sequential)]
    private struct Header
    {
        public uint Version;
        public int Pid;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Data
    {
        public uint Effective;
        public uint Permitted;
        public uint Inheritable;
    }

    [LibraryImport("libc", EntryPoint = "capget", SetLastError = true)]
    private static partial int CapGet(Header* header, Data* data);

    [LibraryImport("libc", EntryPoint = "capset", SetLastError = true)]
    private static partial int CapSet(Header* header, Data* data);

    /// <summary>Makes every permitted capability effective on this thread; false if the kernel refused.</summary>
    public static bool RaisePermitted()
    {
        var header = new Header { Version = Version3 };
        var data = stackalloc Data[2];
        if (CapGet(&header, data) != 0)
        {
            return false;
        }

        if (data[0].Effective == data[0].Permitted && data[1].Effective == data[1].Permitted)
        {
            return true;
        }

        data[0].Effective = data[0].Permitted;
        data[1].Effective = data[1].Permitted;
        return CapSet(&header, data) == 0;
    }

    /// <summary>True if <paramref name="capability"/> is in this thread's effective set (true when it cannot be read).</summary>
    public static bool IsEffective(int capability)
    {
        var header = new Header { Version = Version3 };
        var data = stackalloc Data[2];
        if (CapGet(&header, data) != 0)
        {
            return true;
        }

        var word = capability < 32 ? data[0].Effective : data[1].Effective;
        return (word & (1u << (capability % 32))) != 0;
    }
}
