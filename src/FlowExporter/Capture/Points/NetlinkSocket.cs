using System.Buffers.Binary;
using System.ComponentModel;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FlowExporter.Correlator.Netlink;

namespace FlowExporter.Capture.Points;

/// <summary>
/// An rtnetlink socket (AF_NETLINK, NETLINK_ROUTE) joined to multicast groups. libc creates, binds and joins it; the
/// descriptor is then handed to .NET's <see cref="Socket"/>, whose receive waits on epoll and honours cancellation, so
/// the read loop needs no polling. The socket belongs to the network namespace of the thread that opened it.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private readonly Socket _socket;

    private NetlinkSocket(Socket socket) => _socket = socket;

    /// <param name="groups">RTNLGRP_* numbers (<see cref="Rtnetlink.GroupLink"/>...).</param>
    /// <param name="receiveBufferBytes">Kernel receive buffer; a burst of link events larger than this overruns it (ENOBUFS) and forces a resync.</param>
    public static NetlinkSocket Open(IReadOnlyList<int> groups, int receiveBufferBytes)
    {
        var fd = NetlinkNative.Socket(NetlinkNative.AfNetlink, NetlinkNative.SockRaw | NetlinkNative.SockCloexec, NetlinkNative.NetlinkRoute);
        if (fd < 0)
        {
            throw Failure("socket(AF_NETLINK, NETLINK_ROUTE)");
        }

        try
        {
            var address = new NetlinkNative.SockaddrNl { Family = NetlinkNative.AfNetlink };
            if (NetlinkNative.Bind(fd, &address, (uint)sizeof(NetlinkNative.SockaddrNl)) != 0)
            {
                throw Failure("bind(AF_NETLINK)");
            }

            foreach (var group in groups)
            {
                var value = group;
                if (NetlinkNative.SetSockOpt(fd, NetlinkNative.SolNetlink, NetlinkNative.NetlinkAddMembership, &value, sizeof(int)) != 0)
                {
                    throw Failure($"joining rtnetlink group {group}");
                }
            }

            var size = receiveBufferBytes;
            // SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN, which capture already needs; SO_RCVBUF otherwise.
            if (NetlinkNative.SetSockOpt(fd, NetlinkNative.SolSocket, NetlinkNative.SoRcvbufForce, &size, sizeof(int)) != 0)
            {
                NetlinkNative.SetSockOpt(fd, NetlinkNative.SolSocket, NetlinkNative.SoRcvbuf, &size, sizeof(int));
            }

            return new NetlinkSocket(new Socket(new SafeSocketHandle(fd, ownsHandle: true)));
        }
        catch
        {
            NetlinkNative.Close(fd);
            throw;
        }
    }

    /// <summary>Asks the kernel to dump every link (RTM_GETLINK) or route (RTM_GETROUTE, both families).</summary>
    public void RequestDump(ushort type, uint sequence)
    {
        // nlmsghdr + ifinfomsg (16 bytes) or rtmsg (12 bytes): family 0 (AF_UNSPEC) and zeros either way.
        Span<byte> request = stackalloc byte[Rtnetlink.HeaderLength + Rtnetlink.InterfaceInfoLength];
        request.Clear();
        var length = Rtnetlink.HeaderLength + (type == Rtnetlink.GetLink ? Rtnetlink.InterfaceInfoLength : Rtnetlink.RouteMessageLength);
        BinaryPrimitives.WriteUInt32LittleEndian(request, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(request[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(request[6..], Rtnetlink.FlagRequest | Rtnetlink.FlagDump);
        BinaryPrimitives.WriteUInt32LittleEndian(request[8..], sequence);
        fixed (byte* bytes = request)
        {
            if (NetlinkNative.Send((int)_socket.Handle, bytes, (nuint)length, 0) != length)
            {
                throw Failure("sending an rtnetlink dump request");
            }
        }
    }

    /// <summary>One datagram; throws <see cref="SocketException"/> with <see cref="SocketError.NoBufferSpaceAvailable"/> after an overrun.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    /// <summary>
    /// Reads one datagram if one is queued, without waiting (netlink has no FIONREAD). Returns the length, 0 when the
    /// queue is empty, or -1 when the kernel reports an overrun (ENOBUFS).
    /// </summary>
    public int ReceiveNow(Span<byte> buffer)
    {
        while (true)
        {
            fixed (byte* bytes = buffer)
            {
                var received = NetlinkNative.Recv((int)_socket.Handle, bytes, (nuint)buffer.Length, NetlinkNative.MsgDontWait);
                if (received >= 0)
                {
                    return (int)received;
                }
            }

            switch (Marshal.GetLastPInvokeError())
            {
                case NetlinkNative.Eintr:
                    continue;
                case NetlinkNative.Eagain:
                    return 0;
                case NetlinkNative.Enobufs:
                    return -1;
                default:
                    throw Failure("reading rtnetlink");
            }
        }
    }

    public void Dispose() => _socket.Dispose();

    private static Win32Exception Failure(string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new Win32Exception(errno, $"{what} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
