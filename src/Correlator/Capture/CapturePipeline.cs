using FlowExporter.Correlator.CaptureFiles;
using FlowExporter.Correlator.Connections;
using FlowExporter.Correlator.Decoding;

namespace FlowExporter.Correlator.Capture;

/// <summary>
/// The one per-packet path, for live capture and files alike: decode the frame, give later fragments the ports of
/// their first fragment, and account the frame's wire length to its connection. Never throws for any frame content.
/// </summary>
public sealed class CapturePipeline
{
    private readonly FrameDecoder _decoder;
    private readonly ConnectionTracker _tracker;
    private readonly FragmentTracker _fragments;
    private readonly List<InterfaceCaptureStats> _stats = [];
    private DecodedPacket _packet;
    private ProbeTrafficFilter? _probeTraffic;

    public CapturePipeline(FrameDecoder decoder, ConnectionTracker tracker, FragmentTracker fragments)
    {
        _decoder = decoder;
        _tracker = tracker;
        _fragments = fragments;
    }

    public ConnectionTracker Tracker => _tracker;

    /// <summary>
    /// Packets this filter matches are counted as ignored (reason <c>probe</c>) instead of opening or feeding a
    /// connection; null (the default) excludes nothing. May be replaced at any time from another thread.
    /// </summary>
    public ProbeTrafficFilter? ExcludedProbeTraffic
    {
        get => Volatile.Read(ref _probeTraffic);
        set => Volatile.Write(ref _probeTraffic, value);
    }

    /// <summary>Statistics per capture interface, indexed by interface id.</summary>
    public IReadOnlyList<InterfaceCaptureStats> Stats => _stats;

    public void Process(ushort captureInterface, in CapturedFrame frame)
    {
        var result = _decoder.Decode(frame.LinkType, frame.Data, ref _packet);
        Account(captureInterface, result, _packet, frame.WireLength, frame.TimestampNanoseconds);
    }

    /// <summary>
    /// Everything after the decoding, for a frame another thread decoded (<see cref="DecodedFrame"/>, a replayed file):
    /// counts it, resolves a later fragment's ports, and accounts it to its connection, exactly as <see cref="Process"/>.
    /// </summary>
    public void Account(ushort captureInterface, DecodeResult result, in DecodedPacket packet, int wireLength, long timestampNanoseconds)
    {
        var stats = StatsFor(captureInterface);
        stats.Count(wireLength);
        if (result != DecodeResult.Ip)
        {
            if (result == DecodeResult.NotIp)
            {
                stats.CountIgnored(IgnoredReason.NotIp);
            }
            else
            {
                stats.CountMalformed(result);
            }

            _tracker.Advance(timestampNanoseconds);
            return;
        }

        var sourcePort = packet.SourcePort;
        var destinationPort = packet.DestinationPort;
        if (packet.IsFragment && IpProtocol.HasPorts(packet.Protocol))
        {
            if (packet.FragmentOffset == 0)
            {
                _fragments.Remember(packet.Source, packet.Destination, packet.Protocol, packet.FragmentId, sourcePort, destinationPort, timestampNanoseconds);
            }
            else if (!_fragments.TryRecall(packet.Source, packet.Destination, packet.Protocol, packet.FragmentId, timestampNanoseconds, out sourcePort, out destinationPort))
            {
                stats.CountIgnored(IgnoredReason.OrphanFragment);
                _tracker.Advance(timestampNanoseconds);
                return;
            }
        }

        if (Volatile.Read(ref _probeTraffic) is { } probes && probes.Matches(packet, sourcePort, destinationPort))
        {
            stats.CountIgnored(IgnoredReason.Probe);
            _tracker.Advance(timestampNanoseconds);
            return;
        }

        if (!_tracker.Observe(captureInterface, packet, sourcePort, destinationPort, wireLength, timestampNanoseconds))
        {
            stats.CountIgnored(IgnoredReason.TableFull);
        }
    }

    /// <summary>Processes every frame of a capture file, each under its file interface id; returns the frame count.</summary>
    public long ProcessAll(CaptureFileReader reader)
    {
        long frames = 0;
        while (reader.TryReadNext(out var frame))
        {
            Process((ushort)Math.Min(frame.InterfaceId, ushort.MaxValue), frame);
            frames++;
        }

        return frames;
    }

    /// <summary>Starts an interface's statistics again from zero: its id was freed, for another point to reuse.</summary>
    internal void ResetStats(ushort captureInterface) => _stats[captureInterface] = new InterfaceCaptureStats();

    /// <summary>Makes sure an interface has statistics (so it is exported with zeros before its first frame).</summary>
    public InterfaceCaptureStats StatsFor(ushort captureInterface)
    {
        while (_stats.Count <= captureInterface)
        {
            _stats.Add(new InterfaceCaptureStats());
        }

        return _stats[captureInterface];
    }
}
