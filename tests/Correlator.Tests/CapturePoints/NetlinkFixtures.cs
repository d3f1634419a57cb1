using System.Buffers.Binary;
using FlowExporter.Correlator.Netlink;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.CapturePoints;

/// <summary>Reads the rtnetlink datagrams fixtures/netlink/record.py recorded from a real kernel (u32 length + bytes each).</summary>
internal static class NetlinkFixtures
{
    public static IReadOnlyList<byte[]> Datagrams(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Fixtures.Directory, "netlink", name));
        var datagrams = new List<byte[]>();
        for (var offset = 0; offset < bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(offset));
            datagrams.Add(bytes.AsSpan(offset + 4, length).ToArray());
            offset += 4 + length;
        }

        return datagrams;
    }

    public static List<RtnetlinkMessage> Messages(string name)
    {
        var messages = new List<RtnetlinkMessage>();
        foreach (var datagram in Datagrams(name))
        {
            Assert.Equal(0, RtnetlinkParser.Parse(datagram, messages));
        }

        return messages;
    }
}
