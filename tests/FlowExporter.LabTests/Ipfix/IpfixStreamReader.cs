using System.Buffers.Binary;

namespace FlowExporter.LabTests.Ipfix;

/// <summary>
/// Reads IPFIX messages off a TCP stream (RFC 7011 §10.4: each message whole, length in its header) and counts the
/// flow records of our two templates in them: a minimal collector for the TCP fault tests.
/// </summary>
internal static class IpfixStreamReader
{
    public static async Task<(int Messages, List<(ushort Template, int Packets)> Records)> ReadAsync(Stream stream, int records, CancellationToken cancellationToken)
    {
        var found = new List<(ushort, int)>();
        var messages = 0;
        var header = new byte[16];
        while (found.Count < records)
        {
            await stream.ReadExactlyAsync(header, cancellationToken);
            Assert.Equal(10, BinaryPrimitives.ReadUInt16BigEndian(header));
            var length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2));
            var body = new byte[length - 16];
            await stream.ReadExactlyAsync(body, cancellationToken);
            messages++;
            var offset = 0;
            while (offset < body.Length)
            {
                var id = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(offset));
                var setLength = BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(offset + 2));
                if (id is 256 or 257)
                {
                    var at = offset + 4;
                    while (at < offset + setLength)
                    {
                        var addresses = id == 256 ? 8 : 32;
                        var forwardPackets = (int)BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(at + addresses + 5 + 16 + 8));
                        at += addresses + 77;
                        for (var s = 0; s < 12; s++)
                        {
                            var n = body[at];
                            at += n < 255 ? 1 + n : 3 + BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(at + 1));
                        }

                        at += 4 + 1 + 4 + 4; // handshake RTT, evidence, retransmissions both ways
                        found.Add((id, forwardPackets));
                    }
                }

                offset += setLength;
            }
        }

        return (messages, found);
    }
}
