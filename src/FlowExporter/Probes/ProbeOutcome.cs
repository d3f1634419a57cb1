using System.Net;

namespace FlowExporter.Probes;

/// <summary>
/// The result of one probe: a success with its duration (name resolution, connection and the whole HTTP exchange), or
/// an error type. <paramref name="Remote"/> is the address connected to, when a connection was made.
/// </summary>
public sealed record ProbeOutcome(TimeSpan Duration, ProbeErrorType? Error, IPAddress? Remote, string? Detail)
{
    public bool Succeeded => Error is null;
}
