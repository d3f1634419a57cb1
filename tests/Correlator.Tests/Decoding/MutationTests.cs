using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Decoding;
using FlowExporter.Correlator.Tests.Support;

namespace FlowExporter.Correlator.Tests.Decoding;

/// <summary>Corrupted input of every kind decodes or is classified: no exception, no hang.</summary>
public sealed class MutationTests
{
    private static readonly int[] LinkTypes = [LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Null, LinkType.Loop, 147];

    [Fact]
    public void A_million_mutated_frames_never_throw()
    {
        byte[][] seeds =
        [
            Frames.Ipv4Tcp(), Frames.Ipv6Tcp(), Frames.VlanIpv4Tcp(), Frames.QinQIpv4Tcp(), Frames.VxlanIpv4Tcp(), Frames.GreIpv4Udp(), Frames.Ipv4Udp(),
        ];
        var decoder = new FrameDecoder(DecoderOptions.Default with { VxlanPorts = [4789, 8472] });
        var random = new Random(20261124);
        var counts = new int[Enum.GetValues<DecodeResult>().Length];
        var buffer = new byte[256];
        var packet = default(DecodedPacket);
        const int Iterations = 1_000_000;
        for (var i = 0; i < Iterations; i++)
        {
            var seed = seeds[random.Next(seeds.Length)];
            var length = random.Next(4) == 0 ? random.Next(buffer.Length) : Math.Min(seed.Length, buffer.Length);
            seed.AsSpan(0, Math.Min(seed.Length, length)).CopyTo(buffer);
            if (length > seed.Length)
            {
                random.NextBytes(buffer.AsSpan(seed.Length, length - seed.Length));
            }

            for (var flips = random.Next(1, 5); flips > 0 && length > 0; flips--)
            {
                buffer[random.Next(length)] = (byte)random.Next(256);
            }

            var linkType = random.Next(8) == 0 ? LinkTypes[random.Next(LinkTypes.Length)] : LinkType.Ethernet;
            counts[(int)decoder.Decode(linkType, buffer.AsSpan(0, length), ref packet)]++;
        }

        Assert.Equal(Iterations, counts.Sum());
        for (var r = 0; r < counts.Length; r++)
        {
            Assert.True(counts[r] > 0, $"{(DecodeResult)r} was never reached: {string.Join(", ", counts)}");
        }
    }

    [Fact]
    public void Mutated_capture_files_are_read_or_rejected_with_a_capture_file_error()
    {
        var random = new Random(7);
        var files = Fixtures.AllPcaps().Select(name => File.ReadAllBytes(Fixtures.Pcap(name))).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var original = files[random.Next(files.Length)];
            var bytes = original.AsSpan(0, random.Next(2) == 0 ? original.Length : random.Next(original.Length + 1)).ToArray();
            for (var flips = random.Next(0, 6); flips > 0 && bytes.Length > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            var replayer = new Replayer();
            try
            {
                using var stream = new MemoryStream(bytes);
                var reader = CaptureFileReader.Open(stream);
                replayer.Pipeline.ProcessAll(reader);
            }
            catch (CaptureFileException)
            {
                // A header that is not a capture file's: rejected with our own error, as it should be.
            }

            replayer.Snapshot();
        }
    }
}
