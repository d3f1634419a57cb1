using FlowExporter.Correlator.Capture;
using FlowExporter.Correlator.CaptureFiles;

namespace FlowExporter.Capture;

/// <summary>
/// Routes the frames of one capture file to the engine's sinks: one sink per interface the file describes, named as
/// recorded in a pcapng file, else after the file (<c>NAME</c> for the only interface, <c>NAME#i</c> when there are
/// several), with the capture filter applied as libpcap would apply it live. Use inside a batch of the engine.
/// </summary>
internal sealed class CaptureFileFeed
{
    private readonly CaptureEngine _engine;
    private readonly FileFilter? _filter;
    private readonly string _fileName;
    private readonly IReadOnlyList<CaptureInterface> _interfaces;
    private readonly List<CaptureInterface>? _described;
    private readonly List<CaptureSink> _sinks = [];

    public CaptureFileFeed(CaptureEngine engine, FileFilter? filter, string path, IReadOnlyList<CaptureInterface> interfaces)
    {
        _engine = engine;
        _filter = filter;
        _fileName = Path.GetFileName(path);
        _interfaces = interfaces;
        RegisterKnown();
    }

    /// <summary>A feed for frames decoded on a <see cref="FileDecodingThread"/>: the interfaces arrive with the batches.</summary>
    public CaptureFileFeed(CaptureEngine engine, string path)
        : this(engine, filter: null, path, new List<CaptureInterface>())
    {
        _described = (List<CaptureInterface>)_interfaces;
    }

    /// <summary>Frames handed to <see cref="Accept"/> (the filter's rejects included).</summary>
    public long Frames { get; private set; }

    /// <summary>Gives every interface described so far its sink (a pcapng file may describe more as it goes).</summary>
    public void RegisterKnown()
    {
        while (_sinks.Count < _interfaces.Count)
        {
            var described = _interfaces[_sinks.Count];
            var name = described.Name ?? (_interfaces.Count == 1 && _sinks.Count == 0 ? _fileName : $"{_fileName}#{_sinks.Count}");
            _sinks.Add(_engine.RegisterInterface(name));
        }
    }

    public void Accept(in CapturedFrame frame)
    {
        Frames++;
        if (frame.InterfaceId >= _sinks.Count)
        {
            RegisterKnown();
            if (frame.InterfaceId >= _sinks.Count)
            {
                return;
            }
        }

        if (_filter is { IsEmpty: false } filter && !filter.Matches(frame.LinkType, frame.Data, frame.WireLength))
        {
            return;
        }

        _sinks[frame.InterfaceId].Accept(frame);
    }

    /// <summary>
    /// Every remaining frame of the file, read, filtered and decoded on <paramref name="decoding"/>'s thread and
    /// accounted on this one, in one batch of the engine.
    /// </summary>
    public void AcceptAll(FileDecodingThread decoding) =>
        _engine.Batch((Feed: this, Decoding: decoding), static state =>
        {
            foreach (var batch in state.Decoding.Batches())
            {
                state.Feed.AcceptDecoded(batch);
                state.Decoding.Return(batch);
            }

            return 0;
        });

    /// <summary>Every remaining frame of <paramref name="reader"/>, in one batch.</summary>
    public void AcceptAll(CaptureFileReader reader) =>
        _engine.Batch((Feed: this, Reader: reader), static state =>
        {
            while (state.Reader.TryReadNext(out var frame))
            {
                state.Feed.Accept(frame);
            }

            return 0;
        });

    private void AcceptDecoded(DecodedFrameBatch batch)
    {
        if (batch.Described.Count > 0)
        {
            _described!.AddRange(batch.Described);
            RegisterKnown();
        }

        var sinks = _sinks;
        var frames = batch.Frames;
        for (var i = 0; i < batch.Count; i++)
        {
            ref readonly var frame = ref frames[i];
            if ((uint)frame.InterfaceId < (uint)sinks.Count)
            {
                sinks[frame.InterfaceId].AcceptDecoded(frame);
            }
        }
    }
}
