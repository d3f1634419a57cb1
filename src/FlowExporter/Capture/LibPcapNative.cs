using System.Reflection;
using System.Runtime.InteropServices;

namespace FlowExporter.Capture;

/// <summary>
/// The few libpcap (and libc) calls the per-packet loop makes directly on SharpPcap's handle: a non-blocking
/// <c>pcap_dispatch</c> that hands frames to an unmanaged-callable callback without any managed allocation, and
/// <c>poll</c> to wait for the descriptor outside the pipeline lock. SharpPcap still finds, opens, filters and closes
/// devices.
/// </summary>
internal static unsafe partial class LibPcapNative
{
    private const string Pcap = "pcap";

    static LibPcapNative() => NativeLibrary.SetDllImportResolver(typeof(LibPcapNative).Assembly, Resolve);

    [StructLayout(LayoutKind.Sequential)]
    public struct PacketHeader
    {
        public nint Seconds;

        /// <summary>The fraction of a second: microseconds, or nanoseconds on a handle whose precision is <see cref="NanosecondPrecision"/>.</summary>
        public nint Microseconds;
        public uint CaptureLength;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Statistics
    {
        public uint Received;
        public uint Dropped;
        public uint InterfaceDropped;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollDescriptor
    {
        public int Descriptor;
        public short Events;
        public short ReturnedEvents;
    }

    public const short PollIn = 0x001;

    [LibraryImport(Pcap, EntryPoint = "pcap_dispatch")]
    public static partial int Dispatch(nint handle, int count, delegate* unmanaged<nint, PacketHeader*, byte*, void> callback, nint user);

    /// <summary><see cref="TimestampPrecision"/>'s answer for nanosecond timestamps (PCAP_TSTAMP_PRECISION_NANO).</summary>
    public const int NanosecondPrecision = 1;

    [LibraryImport(Pcap, EntryPoint = "pcap_get_tstamp_precision")]
    public static partial int TimestampPrecision(nint handle);

    [LibraryImport(Pcap, EntryPoint = "pcap_setnonblock")]
    public static partial int SetNonBlocking(nint handle, int nonBlocking, byte* errorBuffer);

    [LibraryImport(Pcap, EntryPoint = "pcap_get_selectable_fd")]
    public static partial int SelectableDescriptor(nint handle);

    [LibraryImport(Pcap, EntryPoint = "pcap_stats")]
    public static partial int GetStatistics(nint handle, Statistics* statistics);

    [LibraryImport(Pcap, EntryPoint = "pcap_breakloop")]
    public static partial void BreakLoop(nint handle);

    [LibraryImport(Pcap, EntryPoint = "pcap_geterr")]
    public static partial nint LastError(nint handle);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    public static string ErrorText(nint handle) => Marshal.PtrToStringUTF8(LastError(handle)) ?? "unknown libpcap error";

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        string[] candidates = name switch
        {
            Pcap => ["libpcap.so.1", "libpcap.so.0.8", "libpcap.so", "libpcap.dylib"],
            "libc" => ["libc.so.6", "libc"],
            _ => [],
        };
        foreach (var candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, assembly, searchPath, out var handle))
            {
                return handle;
            }
        }

        return 0;
    }
}
