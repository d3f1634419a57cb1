using System.Net.Sockets;

namespace FlowExporter.Probes;

/// <summary>Maps what went wrong in a probe to its error type.</summary>
internal static class ProbeClassifier
{
    /// <summary>
    /// An exception from a probe. <paramref name="timedOut"/>: the probe's own timeout fired (a timeout while resolving
    /// is a name that did not resolve in time: <c>dns</c>).
    /// </summary>
    public static ProbeErrorType Classify(Exception exception, bool timedOut, ProbePhase phase)
    {
        if (timedOut)
        {
            return phase == ProbePhase.Resolving ? ProbeErrorType.Dns : ProbeErrorType.Timeout;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is ProbeFailedException failure)
            {
                return failure.Type;
            }
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            switch (current)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError }:
                    return ProbeErrorType.Dns;
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } when phase != ProbePhase.Exchanging:
                    return ProbeErrorType.Connect;
                case SocketException socket when phase == ProbePhase.Connecting:
                    return OfConnect(socket.SocketErrorCode);
                case TimeoutException:
                    return ProbeErrorType.Timeout;
                default:
                    break;
            }
        }

        return ProbeErrorType.Http;
    }

    /// <summary>A socket error while connecting: the kernel's own connect timeout is a timeout, anything else a connect error.</summary>
    public static ProbeErrorType OfConnect(SocketError error) => error == SocketError.TimedOut ? ProbeErrorType.Timeout : ProbeErrorType.Connect;

}
