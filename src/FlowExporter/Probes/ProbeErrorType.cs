namespace FlowExporter.Probes;

/// <summary>Why a probe failed (the <c>type</c> label of <c>network_probe_errors_total</c>).</summary>
public enum ProbeErrorType
{
    /// <summary>The peer's name did not resolve (or resolution timed out).</summary>
    Dns,

    /// <summary>The TCP connection was refused or the network said the peer is unreachable.</summary>
    Connect,

    /// <summary>No answer within the probe timeout (SYNs dropped, or a peer that accepts and never answers).</summary>
    Timeout,

    /// <summary>Connected, but the exchange failed: a non-2xx status, a reset or a broken response, a TLS failure.</summary>
    Http,
}
