using System.Runtime.InteropServices;

namespace FlowExporter.Capture.Points;

/// <summary>The libc calls a netlink socket needs that .NET's Socket does not make: creating, binding and joining groups.</summary>
internal static unsafe partial class NetlinkNative
{
    // "libc.so.6" rather than "libc": the assembly's import resolver (LibPcapNative) may not be registered yet.
    private const string Libc = "libc.so.6";

    public const int AfNetlink = 16;
    public const int SockRaw = 3;
    public const int SockCloexec = 0x80000;
    public const int NetlinkRoute = 0;
    public const int SolSocket = 1;
    public const int SoRcvbuf = 8;
    public const int SoRcvbufForce = 33;
    public const int SolNetlink = 270;
    public const int NetlinkAddMembership = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct SockaddrNl
    {
        public ushort Family;
        public ushort Pad;
        public uint PortId;
        public uint Groups;
    }

    [LibraryImport(Libc, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Libc, EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, SockaddrNl* address, uint addressLength);

    [LibraryImport(Libc, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int option, int* value, uint valueLength);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nuint length, int flags);

    public const int CloneNewNet = 0x40000000;

    /// <summary>setns(2): moves the calling thread into another namespace (lab tests open a socket in their own one).</summary>
    [LibraryImport(Libc, EntryPoint = "setns", SetLastError = true)]
    public static partial int SetNs(int fd, int namespaceType);

    public const int MsgDontWait = 0x40;
    public const int Eagain = 11;
    public const int Eintr = 4;
    public const int Enobufs = 105;

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>if_nametoindex(3): the index of the link now called <paramref name="name"/>, 0 when there is none.</summary>
    [LibraryImport(Libc, EntryPoint = "if_nametoindex", StringMarshalling = StringMarshalling.Utf8)]
    public static partial uint IfNameToIndex(string name);
}
