namespace FlowExporter.LabTests.Ebpf;

/// <summary>
/// A python script for a packet socket on one end of the lab's veth pair (arguments: interface, side a or b): it writes
/// 5 single-tagged (802.1Q 10) UDP and 5 double-tagged (802.1ad 20, 802.1Q 10) TCP frames. This kernel has no 8021q
/// module, so tagged frames come from packet sockets.
/// </summary>
internal static class TaggedFrames
{
    public const string Script = """
        import socket, struct, sys
        name, side = sys.argv[1], sys.argv[2]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((name, 0))
        me, peer = ("10.99.1.1", "10.99.1.2") if side == "a" else ("10.99.1.2", "10.99.1.1")
        def ip(proto, payload):
            header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, socket.inet_aton(me), socket.inet_aton(peer))
            return header + payload
        def ports(a, b):
            return (a, b) if side == "a" else (b, a)
        eth = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01"
        for i in range(5):
            sp, dp = ports(40000, 7000)
            udp = struct.pack("!HHHH", sp, dp, 8 + 100 + i, 0) + bytes(100 + i)
            s.send(eth + struct.pack("!HH", 0x8100, 10) + struct.pack("!H", 0x0800) + ip(17, udp))
            sp, dp = ports(41000, 8000)
            tcp = struct.pack("!HHIIBBHHH", sp, dp, i, 0, 5 << 4, 0x10, 1000, 0, 0) + bytes(200 + i)
            s.send(eth + struct.pack("!HH", 0x88A8, 20) + struct.pack("!HH", 0x8100, 10) + struct.pack("!H", 0x0800) + ip(6, tcp))
        """;
}
