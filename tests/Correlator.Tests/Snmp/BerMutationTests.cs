using System.Diagnostics;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Correlator.Tests.Snmp;

public sealed class BerMutationTests
{
    /// <summary>
    /// One million corrupted datagrams derived from net-snmp's own messages (bit flips, byte overwrites, truncations,
    /// insertions): each decodes or throws <see cref="SnmpDecodeException"/>, nothing else, and nothing allocates more
    /// than a small multiple of the datagram.
    /// </summary>
    [Fact]
    public void A_million_corrupted_datagrams_give_success_or_the_typed_error()
    {
        var seeds = new[] { "netsnmp-v2c.hex", "netsnmp-eom.hex", "netsnmp-v3.hex" }
            .SelectMany(SnmpFixtures.Datagrams)
            .Select(d => d.Bytes)
            .ToArray();
        var random = new Random(4711);
        var buffer = new byte[2048];
        long decoded = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 1_000_000; i++)
        {
            var seed = seeds[i % seeds.Length];
            var length = Mutate(seed, buffer, random);
            var datagram = buffer.AsSpan(0, length);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (datagram.Length > 4 && CommunityMessage.PeekVersion(datagram) == 3)
                {
                    V3Message.Decode(datagram);
                }
                else
                {
                    CommunityMessage.Decode(datagram);
                }

                decoded++;
            }
            catch (SnmpDecodeException)
            {
                rejected++;
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64 * 1024 + (length * 64), $"datagram {i} of {length} bytes allocated {allocated} bytes");
        }

        Assert.Equal(1_000_000, decoded + rejected);
        Assert.True(rejected > 100_000, $"only {rejected} rejected: mutations too weak");
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "decoding hung");
    }

    private static int Mutate(byte[] seed, byte[] buffer, Random random)
    {
        seed.CopyTo(buffer, 0);
        var length = seed.Length;
        var edits = random.Next(1, 4);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(5))
            {
                case 0:
                    buffer[random.Next(length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    buffer[random.Next(length)] = (byte)random.Next(256);
                    break;
                case 2:
                    length = random.Next(length + 1);
                    break;
                case 3:
                    if (length < buffer.Length - 8)
                    {
                        var at = random.Next(length + 1);
                        Array.Copy(buffer, at, buffer, at + 1, length - at);
                        buffer[at] = (byte)random.Next(256);
                        length++;
                    }

                    break;
                default:
                    // Length bytes are the interesting ones: hit a byte right after a likely tag.
                    var position = random.Next(Math.Max(1, length - 1));
                    buffer[position + (length > 1 ? 1 : 0)] = random.Next(2) == 0 ? (byte)0x84 : (byte)0xff;
                    break;
            }

            if (length == 0)
            {
                break;
            }
        }

        return length;
    }
}
