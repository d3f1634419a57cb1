using System.Runtime.InteropServices;
using System.Text;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Reads whether a device segments TCP itself (TSO, ETHTOOL_GTSO through SIOCETHTOOL, in the calling thread's network
/// namespace). Without it the kernel cuts TCP GSO packets into segments after the TC egress hook and before the packet
/// taps, so the program must count each segment's headers to count what libpcap sees.
/// </summary>
internal static unsafe partial class DeviceOffloads
{
    private const int AfInet = 2;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const ulong SiocEthtool = 0x8946;
    private const uint EthtoolGetTso = 0x1e;

    /// <summary>True when the device has TCP segmentation offload on (or when it cannot be read: count super packets).</summary>
    public static bool HasTcpSegmentationOffload(int interfaceIndex)
    {
        var name = stackalloc byte[16];
        if (IndexToName((uint)interfaceIndex, name) == 0)
        {
            return true;
        }

        var socket = Socket(AfInet, SockDgram | SockCloexec, 0);
        if (socket < 0)
        {
            return true;
        }

        try
        {
            var value = new EthtoolValue { Command = EthtoolGetTso };
            var request = default(InterfaceRequest);
            new ReadOnlySpan<byte>(name, 16).CopyTo(new Span<byte>(request.Name, 16));
            request.Data = (nint)(&value);
            return Ioctl(socket, SiocEthtool, &request) != 0 || value.Data != 0;
        }
        finally
        {
            _ = Close(socket);
        }
    }

    /// <summary>The device name for diagnostics, or the index when it has none.</summary>
    public static string NameOf(int interfaceIndex)
    {
        var name = stackalloc byte[16];
        return IndexToName((uint)interfaceIndex, name) == 0
            ? interfaceIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : Encoding.ASCII.GetString(name, new ReadOnlySpan<byte>(name, 16).IndexOf((byte)0));
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct EthtoolValue
    {
        public uint Command;
        public uint Data;
    }

    /// <summary>struct ifreq: the name, then a union of 24 bytes (here the ethtool request's address).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct InterfaceRequest
    {
        public fixed byte Name[16];
        public nint Data;
        private fixed byte _rest[16];
    }

    [LibraryImport("libc", EntryPoint = "if_indextoname")]
    private static partial nint IndexToName(uint index, byte* name);

    [LibraryImport("libc", EntryPoint = "socket")]
    private static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, ulong request, InterfaceRequest* argument);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
