using System.Buffers.Binary;

namespace FlowExporter.Bench;

/// <summary>
/// Writes a deterministic classic pcap file: many interleaved TCP and UDP connections over IPv4, IPv6 and 802.1Q,
/// each with a handshake, data packets of mixed sizes and a FIN exchange, captured with a 128-byte snap length.
/// </summary>
internal static class CaptureGenerator
{
    private const int SnapLength = 128;

    public static (long Packets, int Connections) Generate(string path, long packets, int connections, int seed = 42)
    {
        var random = new Random(seed);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        PcapWriter.WriteFileHeader(file, SnapLength);

        var perConnection = (int)Math.Max(4, packets / connections);
        const int Active = 4096;
        var pool = new Connection[Active];
        var started = 0;
        for (var i = 0; i < Active; i++)
        {
            pool[i] = NewConnection(started++, random, perConnection);
        }

        var frame = new byte[SnapLength];
        long written = 0;
        var microseconds = 1_700_000_000L * 1_000_000;
        while (written < packets)
        {
            var slot = random.Next(Active);
            ref var connection = ref pool[slot];
            var (wire, captured) = connection.NextFrame(frame, random);
            microseconds += 1;
            PcapWriter.WriteRecordHeader(file, microseconds, captured, wire);
            file.Write(frame, 0, captured);
            written++;
            if (connection.Done)
            {
                pool[slot] = started < connections ? NewConnection(started++, random, perConnection) : NewConnection(random.Next(started), random, perConnection);
            }
        }

        return (written, started);
    }

    private static Connection NewConnection(int index, Random random, int packets)
    {
        var kind = (index % 10) switch
        {
            < 6 => Kind.Tcp4,
            < 8 => Kind.Tcp6,
            8 => Kind.VlanUdp4,
            _ => Kind.Udp4,
        };
        return new Connection(kind, index, packets + random.Next(-2, 3));
    }

    private enum Kind
    {
        Tcp4,
        Tcp6,
        VlanUdp4,
        Udp4,
    }

    private struct Connection(Kind kind, int index, int packets)
    {
        private int _sent;

        public readonly bool Done => _sent >= packets;

        public (int Wire, int Captured) NextFrame(byte[] frame, Random random)
        {
            var fromClient = _sent == 0 || _sent == packets - 2 || random.Next(3) != 0;
            var flags = _sent switch
            {
                0 => (byte)0x02,
                1 => (byte)0x12,
                _ when _sent >= packets - 2 => (byte)0x11,
                _ => (byte)0x18,
            };
            if (_sent == 1)
            {
                fromClient = false;
            }

            var payload = _sent < 2 || _sent >= packets - 2 ? 0 : random.Next(10) < 6 ? 1448 : random.Next(1, 600);
            _sent++;
            Array.Clear(frame);
            var client = (uint)(0x0A000000 | (index & 0xFFFFFF));
            var server = 0xC0A80001u + (uint)(index % 64);
            var clientPort = (ushort)(32768 + (index % 28000));
            var serverPort = kind is Kind.Tcp4 or Kind.Tcp6 ? (ushort)(index % 3 == 0 ? 443 : 8080) : (ushort)53;
            var (sourcePort, destinationPort) = fromClient ? (clientPort, serverPort) : (serverPort, clientPort);
            var offset = 12;
            if (kind == Kind.VlanUdp4)
            {
                frame[12] = 0x81;
                frame[14] = 0x00;
                frame[15] = (byte)(index % 200);
                offset = 16;
            }

            var isTcp = kind is Kind.Tcp4 or Kind.Tcp6;
            var transportLength = (isTcp ? 20 : 8) + payload;
            int ipLength;
            if (kind == Kind.Tcp6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), 0x86DD);
                var ip = frame.AsSpan(offset + 2);
                ip[0] = 0x60;
                BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)transportLength);
                ip[6] = 6;
                ip[7] = 64;
                var (src, dst) = fromClient ? (client, server) : (server, client);
                ip[8] = 0xFD;
                BinaryPrimitives.WriteUInt32BigEndian(ip[20..], src);
                ip[24] = 0xFD;
                BinaryPrimitives.WriteUInt32BigEndian(ip[36..], dst);
                ipLength = 40;
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), 0x0800);
                var ip = frame.AsSpan(offset + 2);
                ip[0] = 0x45;
                BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + transportLength));
                ip[8] = 64;
                ip[9] = isTcp ? (byte)6 : (byte)17;
                var (src, dst) = fromClient ? (client, server) : (server, client);
                BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
                BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
                ipLength = 20;
            }

            var transport = frame.AsSpan(offset + 2 + ipLength);
            BinaryPrimitives.WriteUInt16BigEndian(transport, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(transport[2..], destinationPort);
            if (isTcp)
            {
                BinaryPrimitives.WriteUInt32BigEndian(transport[4..], (uint)(_sent * 1448));
                transport[12] = 0x50;
                transport[13] = flags;
                BinaryPrimitives.WriteUInt16BigEndian(transport[14..], 64240);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(transport[4..], (ushort)transportLength);
            }

            var wire = offset + 2 + ipLength + transportLength;
            return (wire, Math.Min(wire, SnapLength));
        }
    }
}
