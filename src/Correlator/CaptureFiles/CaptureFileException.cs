namespace FlowExporter.Correlator.CaptureFiles;

/// <summary>The input is not a capture file this reader understands (bad magic, impossible header).</summary>
public sealed class CaptureFileException : Exception
{
    public CaptureFileException()
    {
    }

    public CaptureFileException(string message)
        : base(message)
    {
    }

    public CaptureFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
