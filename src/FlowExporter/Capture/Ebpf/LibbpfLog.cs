using System.Runtime.InteropServices;
using System.Text;

namespace FlowExporter.Capture.Ebpf;

/// <summary>
/// Collects what libbpf prints while it is installed (libbpf's print callback is process-wide, so one is installed at a
/// time, for the length of a load): the last lines, bounded, from which a verifier rejection's tail is taken.
/// </summary>
internal sealed unsafe class LibbpfLog : IDisposable
{
    private const int MaxLines = 200;
    private const int LineBuffer = 4096;
    private static readonly Lock Installation = new();

    private readonly Queue<string> _lines = new();
    private readonly PrintCallback _callback;
    private readonly nint _previous;
    private readonly StringBuilder _partial = new();
    private bool _disposed;

    private LibbpfLog()
    {
        _callback = Print;
        _previous = LibbpfNative.SetPrint(Marshal.GetFunctionPointerForDelegate(_callback));
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int PrintCallback(int level, nint format, nint arguments);

    /// <summary>Installs a collector until disposed; loads are serialised by it.</summary>
    public static LibbpfLog Install()
    {
        Installation.Enter();
        try
        {
            return new LibbpfLog();
        }
        catch
        {
            Installation.Exit();
            throw;
        }
    }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>
    /// The verifier's last lines: what libbpf printed between its "BEGIN PROG LOAD LOG" and "END PROG LOAD LOG" markers,
    /// at most <paramref name="count"/> of them (the rejection's reason is at the end), or empty when there was none.
    /// </summary>
    public IReadOnlyList<string> VerifierTail(int count = 20)
    {
        var lines = Lines;
        var end = -1;
        for (var i = lines.Count - 1; i >= 0 && end < 0; i--)
        {
            if (lines[i].Contains("END PROG LOAD LOG", StringComparison.Ordinal))
            {
                end = i;
            }
        }

        if (end < 0)
        {
            return [];
        }

        // The log can be longer than what is kept: then its beginning marker is gone and the kept lines are its end.
        var from = end;
        while (from > 0 && end - from < count && !lines[from - 1].Contains("BEGIN PROG LOAD LOG", StringComparison.Ordinal))
        {
            from--;
        }

        return [.. lines.Skip(from).Take(end - from).Where(line => line.Length > 0)];
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        LibbpfNative.SetPrint(_previous);
        GC.KeepAlive(_callback);
        Installation.Exit();
    }

    private int Print(int level, nint format, nint arguments)
    {
        var buffer = stackalloc byte[LineBuffer];
        var written = LibbpfNative.FormatArguments(buffer, LineBuffer, format, arguments);
        if (written <= 0)
        {
            return 0;
        }

        var text = Encoding.UTF8.GetString(buffer, Math.Min(written, LineBuffer - 1));
        lock (_lines)
        {
            _partial.Append(text);
            var all = _partial.ToString();
            var lines = all.Split('\n');
            for (var i = 0; i < lines.Length - 1; i++)
            {
                _lines.Enqueue(lines[i]);
                if (_lines.Count > MaxLines)
                {
                    _lines.Dequeue();
                }
            }

            _partial.Clear().Append(lines[^1]);
        }

        return written;
    }
}
