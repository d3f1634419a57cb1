using System.Buffers.Binary;
using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.CaptureFiles;

public sealed class CaptureFileReaderTests
{
    private static byte[] PcapFile(bool bigEndian, bool nanoseconds, params (uint Seconds, uint Fraction, byte[] Data, uint Original)[] records)
    {
        using var stream = new MemoryStream();
        void U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            }

            stream.Write(b);
        }

        U32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4);
        U32(0x00040002);
        U32(0);
        U32(0);
        U32(65535);
        U32(1);
        foreach (var (seconds, fraction, data, original) in records)
        {
            U32(seconds);
            U32(fraction);
            U32((uint)data.Length);
            U32(original);
            stream.Write(data);
        }

        return stream.ToArray();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Classic_pcap_in_either_byte_order_and_resolution(bool bigEndian, bool nanoseconds)
    {
        var frame = Frames.Ipv4Tcp();
        var file = PcapFile(bigEndian, nanoseconds, (1_700_000_000, 250, frame, 9000));
        var reader = CaptureFileReader.Open(new MemoryStream(file));
        Assert.True(reader.TryReadNext(out var read));
        Assert.Equal(LinkType.Ethernet, read.LinkType);
        Assert.Equal(9000, read.WireLength);
        Assert.Equal(frame.Length, read.Data.Length);
        Assert.Equal((1_700_000_000L * 1_000_000_000) + (nanoseconds ? 250 : 250_000), read.TimestampNanoseconds);
        Assert.False(reader.TryReadNext(out _));
        Assert.Null(reader.Problem);
    }

    [Fact]
    public void A_file_cut_inside_a_packet_stops_with_a_problem_after_the_whole_frames()
    {
        var frame = Frames.Ipv4Tcp();
        var file = PcapFile(false, false, (1, 0, frame, (uint)frame.Length), (2, 0, frame, (uint)frame.Length));
        var reader = CaptureFileReader.Open(new MemoryStream(file[..^10]));
        Assert.True(reader.TryReadNext(out _));
        Assert.False(reader.TryReadNext(out _));
        Assert.True(reader.CutShort);
        Assert.Contains("cut short inside a packet", reader.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { 0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0 })]
    public void Anything_else_is_not_a_capture_file(byte[] bytes)
    {
        var error = Assert.Throws<CaptureFileException>(() => CaptureFileReader.Open(new MemoryStream(bytes)));
        Assert.StartsWith("not a capture file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pcapng_with_interfaces_of_different_link_types_gives_each_frame_its_own()
    {
        using var stream = File.OpenRead(Fixtures.Pcap("pcapng-le-test100-multi-linktype.pcapng"));
        var reader = CaptureFileReader.Open(stream);
        var linkTypes = new List<int>();
        while (reader.TryReadNext(out var frame))
        {
            linkTypes.Add(frame.LinkType);
        }

        Assert.Null(reader.Problem);
        Assert.Equal(5, linkTypes.Count);
        Assert.Contains(LinkType.Null, linkTypes);
        Assert.Contains(LinkType.Ethernet, linkTypes);
    }

    [Fact]
    public void Pcapng_interfaces_keep_their_names_and_ids()
    {
        using var stream = File.OpenRead(Fixtures.Pcap("pcapng-multi-interface-dns.pcapng"));
        var reader = CaptureFileReader.Open(stream);
        var ids = new HashSet<int>();
        while (reader.TryReadNext(out var frame))
        {
            ids.Add(frame.InterfaceId);
        }

        Assert.Equal(reader.Interfaces.Select(i => i.Id).ToHashSet(), ids);
        Assert.True(reader.Interfaces.Count > 1);
    }

    [Fact]
    public void Nanosecond_sll_capture_keeps_its_nanoseconds()
    {
        using var stream = File.OpenRead(Fixtures.Pcap("sll-tcp-http-nanosecond.pcap"));
        var reader = CaptureFileReader.Open(stream);
        Assert.Equal(CaptureFileFormat.PcapNanosecond, reader.Format);
        Assert.True(reader.TryReadNext(out var frame));
        Assert.Equal(LinkType.LinuxSll, frame.LinkType);
        Assert.NotEqual(0, frame.TimestampNanoseconds % 1000);
    }
}
