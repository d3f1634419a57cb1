using System.Collections.Concurrent;
using System.Diagnostics;

namespace FlowExporter.Correlator.Tests.Support;

/// <summary>
/// An independent count of each TCP/UDP (and other IP) conversation's frames and wire bytes per direction, from
/// tshark's own dissection of every frame: the same quantities as <c>tshark -z conv,tcp</c>, exact (the conv table
/// rounds large byte counts to kB). Tunnels are opened the way the exporter opens them (the innermost packet is the
/// conversation) and fragments belong to the conversation of the datagram they were reassembled into.
/// </summary>
internal static class TsharkOracle
{
    private static readonly string[] Fields =
    [
        "frame.number", "frame.len", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
        "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "ip.reassembled_in", "ipv6.reassembled.in", "ip.proto", "ipv6.nxt",
        "ip.flags.mf", "ip.frag_offset", "ipv6.fraghdr.offset",
    ];

    /// <summary>Conversations, and the count of fragments that belong to no reassembled datagram (orphans).</summary>
    public static (Dictionary<ConversationKey, ConversationTotals> Conversations, int OrphanFragments) Conversations(string pcap, bool decapsulate = true)
    {
        // Two passes (-2), so that earlier fragments learn the frame their datagram was reassembled in.
        var arguments = new List<string> { "-r", pcap, "-2", "-n", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=|" };
        if (!decapsulate)
        {
            arguments.AddRange(["--disable-protocol", "vxlan", "--disable-protocol", "geneve", "--disable-protocol", "gre"]);
        }

        foreach (var field in Fields)
        {
            arguments.Add("-e");
            arguments.Add(field);
        }

        var lines = Run(arguments);
        var frames = new List<(int Number, long Length, ConversationKey? Key, bool SourceIsA, int ReassembledIn, bool Orphan)>();
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            if (f.Length < Fields.Length)
            {
                continue;
            }

            var number = int.Parse(f[0]);
            var length = long.Parse(f[1]);
            var reassembledIn = Last(f[11]) ?? Last(f[12]);
            var key = KeyOf(f, out var sourceIsA, out var orphan);
            frames.Add((number, length, key, sourceIsA, reassembledIn is null ? 0 : int.Parse(reassembledIn), orphan));
        }

        var byNumber = frames.ToDictionary(x => x.Number);
        var totals = new Dictionary<ConversationKey, ConversationTotals>();
        var orphans = 0;
        foreach (var frame in frames)
        {
            var (key, sourceIsA) = (frame.Key, frame.SourceIsA);
            if (frame.ReassembledIn != 0 && frame.ReassembledIn != frame.Number && byNumber.TryGetValue(frame.ReassembledIn, out var whole))
            {
                (key, sourceIsA) = (whole.Key, whole.SourceIsA);
            }
            else if (frame.Orphan)
            {
                orphans++;
                continue;
            }

            if (key is not { } k)
            {
                continue;
            }

            var t = totals.GetValueOrDefault(k) ?? new ConversationTotals(0, 0, 0, 0);
            totals[k] = sourceIsA
                ? t with { FramesAToB = t.FramesAToB + 1, BytesAToB = t.BytesAToB + frame.Length }
                : t with { FramesBToA = t.FramesBToA + 1, BytesBToA = t.BytesBToA + frame.Length };
        }

        return (totals, orphans);
    }

    /// <summary>
    /// tshark's TCP sequence analysis per stream: initial RTT (<c>tcp.analysis.initial_rtt</c>), retransmissions
    /// (<c>tcp.analysis.retransmission</c>: plain, fast and spurious) and zero windows, one pass as a live capture sees
    /// them. TCP quoted inside ICMP errors is left out (tshark analyses no sequence there either).
    /// </summary>
    public static IReadOnlyList<TcpStreamQuality> TcpStreams(string pcap) =>
        StreamsByCapture.GetOrAdd(Path.GetFullPath(pcap), path => new Lazy<IReadOnlyList<TcpStreamQuality>>(() => AnalyseTcpStreams(path))).Value;

    /// <summary>
    /// tshark's analysis of a capture cannot change within a test run, and two test classes ask for every capture's
    /// (three tshark passes each): computed once per process, it takes a sixth off the unit suites' time.
    /// </summary>
    private static readonly ConcurrentDictionary<string, Lazy<IReadOnlyList<TcpStreamQuality>>> StreamsByCapture = new(StringComparer.Ordinal);

    private static List<TcpStreamQuality> AnalyseTcpStreams(string pcap)
    {
        const string NotQuoted = "tcp && !icmp && !icmpv6";
        var retransmitted = FrameNumbers(pcap, $"tcp.analysis.retransmission && {NotQuoted}");
        var zeroWindow = FrameNumbers(pcap, $"tcp.analysis.zero_window && {NotQuoted}");
        var lines = Run(
        [
            "-r", pcap, "-n", "-Y", NotQuoted, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l",
            "-e", "frame.number", "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
            "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags", "-e", "tcp.analysis.initial_rtt",
        ]);
        var streams = new SortedDictionary<int, TcpStreamQuality>();
        var rttSenders = new Dictionary<int, (string Source, int Flags)>();
        foreach (var line in lines)
        {
            var f = line.Split('\t');
            if (f.Length < 10 || f[1].Length == 0)
            {
                continue;
            }

            var number = int.Parse(f[0], System.Globalization.CultureInfo.InvariantCulture);
            var stream = int.Parse(f[1], System.Globalization.CultureInfo.InvariantCulture);
            var source = $"{(f[2].Length > 0 ? f[2] : f[3])}:{f[4]}";
            var destination = $"{(f[5].Length > 0 ? f[5] : f[6])}:{f[7]}";
            var flags = Convert.ToInt32(f[8], 16);
            var key = ConversationKey.Of("tcp", source, destination, out var sourceIsA);
            var s = streams.GetValueOrDefault(stream) ?? new TcpStreamQuality(stream, key, null, null, false, 0, 0, 0, 0);
            if (s.Initiator is null && (flags & 0x12) == 0x02)
            {
                s = s with { Initiator = source };
            }

            if (s.InitialRttNanoseconds is null && f[9].Length > 0)
            {
                s = s with { InitialRttNanoseconds = (long)(decimal.Parse(f[9], System.Globalization.CultureInfo.InvariantCulture) * 1_000_000_000m) };
                rttSenders[stream] = (source, flags);
            }

            if (retransmitted.Contains(number))
            {
                s = sourceIsA ? s with { RetransmissionsAToB = s.RetransmissionsAToB + 1 } : s with { RetransmissionsBToA = s.RetransmissionsBToA + 1 };
            }

            if (zeroWindow.Contains(number))
            {
                s = sourceIsA ? s with { ZeroWindowAToB = s.ZeroWindowAToB + 1 } : s with { ZeroWindowBToA = s.ZeroWindowBToA + 1 };
            }

            streams[stream] = s;
        }

        return streams.Values
            .Select(s => rttSenders.TryGetValue(s.Stream, out var sender)
                ? s with { RttFromInitiatorAck = sender.Source == s.Initiator && (sender.Flags & 0x04) == 0 }
                : s)
            .ToList();
    }

    private static HashSet<int> FrameNumbers(string pcap, string filter) =>
        Run(["-r", pcap, "-n", "-Y", filter, "-T", "fields", "-e", "frame.number"])
            .Where(l => l.Length > 0)
            .Select(l => int.Parse(l, System.Globalization.CultureInfo.InvariantCulture))
            .ToHashSet();

    private static ConversationKey? KeyOf(string[] f, out bool sourceIsA, out bool orphan)
    {
        sourceIsA = true;
        orphan = false;
        var protocols = f[2].Split(':');

        // What an ICMP error quotes (an IP header and ports of the packet it answers) is not a conversation of its own:
        // the chain is cut at the first ICMP.
        var icmp = Array.FindIndex(protocols, p => p is "icmp" or "icmpv6");
        var chain = icmp < 0 ? protocols : protocols[..(icmp + 1)];

        // The innermost IP header decides (the exporter opens tunnels the same way).
        var lastIp = Array.FindLastIndex(chain, p => p is "ip" or "ipv6");
        if (lastIp < 0)
        {
            return null;
        }

        var v6 = chain[lastIp] == "ipv6";
        var ipOccurrence = chain[..(lastIp + 1)].Count(p => p == chain[lastIp]) - 1;
        var source = Nth(v6 ? f[5] : f[3], ipOccurrence);
        var destination = Nth(v6 ? f[6] : f[4], ipOccurrence);
        if (source is null || destination is null)
        {
            return null;
        }

        var inner = chain[(lastIp + 1)..];
        if (inner.Contains("tcp") && Nth(f[7], chain.Count(p => p == "tcp") - 1) is { } tcpSource
            && Nth(f[8], chain.Count(p => p == "tcp") - 1) is { } tcpDestination)
        {
            return ConversationKey.Of("tcp", $"{source}:{tcpSource}", $"{destination}:{tcpDestination}", out sourceIsA);
        }

        var udpOccurrence = chain.Count(p => p == "udp") - 1;
        if (inner.Contains("udp") && Nth(f[9], udpOccurrence) is { } udpSource && Nth(f[10], udpOccurrence) is { } udpDestination)
        {
            return ConversationKey.Of("udp", $"{source}:{udpSource}", $"{destination}:{udpDestination}", out sourceIsA);
        }

        var fragment = v6
            ? Nth(f[17], ipOccurrence) is { } offset6 && offset6 != "0"
            : (Nth(f[15], ipOccurrence) is "1" or "True") || (Nth(f[16], ipOccurrence) is { } offset4 && offset4 != "0");
        if (fragment || inner.Contains("ipv6.fraghdr"))
        {
            // A fragment tshark did not reassemble: its ports are not known.
            orphan = true;
            return null;
        }

        var protocol = Nth(v6 ? f[14] : f[13], ipOccurrence);
        return protocol is null ? null : ConversationKey.Of($"ip{protocol}", source, destination, out sourceIsA);
    }

    private static string? Nth(string field, int index)
    {
        if (string.IsNullOrEmpty(field) || index < 0)
        {
            return null;
        }

        var parts = field.Split('|');
        return index < parts.Length ? parts[index] : null;
    }

    private static string? Last(string field) => Nth(field, string.IsNullOrEmpty(field) ? 0 : field.Split('|').Length - 1);

    private static List<string> Run(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("tshark is not installed (apt-get install tshark): the oracle comparison needs it", ex);
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var lines = new List<string>();
            while (process.StandardOutput.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            if (!process.WaitForExit(60_000))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("tshark took longer than 60 s");
            }

            // tshark exits 2 for files cut short but still prints what it read.
            if (process.ExitCode is not (0 or 2))
            {
                throw new InvalidOperationException($"tshark exited {process.ExitCode}: {stderr.Result}");
            }

            return lines;
        }
    }
}
