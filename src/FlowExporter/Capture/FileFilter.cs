using FlowExporter.Configuration;
using SharpPcap;
using SharpPcap.LibPcap;

namespace FlowExporter.Capture;

/// <summary>
/// The capture filter applied to frames read from a file: libpcap compiles the expression once per link type (a
/// pcapng file may mix them) and runs it with <c>pcap_offline_filter</c>, exactly as it would filter a live capture.
/// </summary>
internal sealed unsafe class FileFilter : IDisposable
{
    private readonly string _expression;
    private readonly Dictionary<int, BpfProgram?> _programs = [];

    public FileFilter(string expression)
    {
        _expression = expression;
    }

    public bool IsEmpty => _expression.Length == 0;

    /// <summary>Compiles for a link type ahead of use so that a bad expression fails at start with one clear line.</summary>
    public void Validate(int linkType) => ProgramFor(linkType);

    public bool Matches(int linkType, ReadOnlySpan<byte> data, int wireLength)
    {
        if (IsEmpty)
        {
            return true;
        }

        var program = ProgramFor(linkType);
        if (program is null)
        {
            return false;
        }

        var header = new LibPcapNative.PacketHeader { CaptureLength = (uint)data.Length, Length = (uint)wireLength };
        fixed (byte* bytes = data)
        {
            return program.Matches((nint)(&header), (nint)bytes);
        }
    }

    public void Dispose()
    {
        foreach (var program in _programs.Values)
        {
            program?.Dispose();
        }
    }

    private BpfProgram? ProgramFor(int linkType)
    {
        if (!_programs.TryGetValue(linkType, out var program))
        {
            try
            {
                program = BpfProgram.Create((PacketDotNet.LinkLayers)linkType, _expression);
            }
            catch (PcapException ex)
            {
                throw new ConfigException("capture.bpf", $"'{_expression}' does not compile for link type {linkType}: {ex.Message}");
            }

            _programs[linkType] = program;
        }

        return program;
    }
}
