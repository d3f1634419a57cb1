namespace FlowExporter.Correlator.Decoding;

/// <summary>How the decoder treats tunnels.</summary>
public sealed record DecoderOptions
{
    public static DecoderOptions Default { get; } = new();

    /// <summary>Open VXLAN, Geneve, GRE and IP-in-IP and account the inner packet (with the outer frame's length).</summary>
    public bool Decapsulate { get; init; } = true;

    /// <summary>UDP destination ports carrying VXLAN (IANA 4789; Flannel and Cilium use 8472 on Linux).</summary>
    public IReadOnlyList<int> VxlanPorts { get; init; } = [4789];

    /// <summary>UDP destination port carrying Geneve.</summary>
    public int GenevePort { get; init; } = 6081;

    /// <summary>Nested tunnels opened at most.</summary>
    public int MaxTunnelDepth { get; init; } = 4;
}
