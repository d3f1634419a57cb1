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
    private readonly FileFilter _filter;
    private readonly string _fileName;
    private readonly IReadOnlyList<CaptureInterface> _interfaces;
    private readonly List<CaptureSink> _sinks = [];

    public CaptureFileFeed(CaptureEngine engine, FileFilter filter, string path, IReadOnlyList<CaptureInterface> interfaces)
    {
        _engine = engine;
        _filter = filter;
        _fileName = Path.GetFileName(path);
        _interfaces = interfaces;
        RegisterKnown();
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

        if (!_filter.IsEmpty && !_filter.Matches(frame.LinkType, frame.Data, frame.WireLength))
        {
            return;
        }

        _sinks[frame.InterfaceId].Accept(frame);
    }

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
}
