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
        var stats = StatsFor(captureInterface);
        stats.Count(frame.WireLength);
        var result = _decoder.Decode(frame.LinkType, frame.Data, ref _packet);
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

            _tracker.Advance(frame.TimestampNanoseconds);
            return;
        }

        var sourcePort = _packet.SourcePort;
        var destinationPort = _packet.DestinationPort;
        if (_packet.IsFragment && IpProtocol.HasPorts(_packet.Protocol))
        {
            if (_packet.FragmentOffset == 0)
            {
                _fragments.Remember(_packet.Source, _packet.Destination, _packet.Protocol, _packet.FragmentId, sourcePort, destinationPort, frame.TimestampNanoseconds);
            }
            else if (!_fragments.TryRecall(_packet.Source, _packet.Destination, _packet.Protocol, _packet.FragmentId, frame.TimestampNanoseconds, out sourcePort, out destinationPort))
            {
                stats.CountIgnored(IgnoredReason.OrphanFragment);
                _tracker.Advance(frame.TimestampNanoseconds);
                return;
            }
        }

        if (Volatile.Read(ref _probeTraffic) is { } probes && probes.Matches(_packet, sourcePort, destinationPort))
        {
            stats.CountIgnored(IgnoredReason.Probe);
            _tracker.Advance(frame.TimestampNanoseconds);
            return;
        }

        if (!_tracker.Observe(captureInterface, _packet, sourcePort, destinationPort, frame.WireLength, frame.TimestampNanoseconds))
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
