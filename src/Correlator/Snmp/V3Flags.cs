namespace FlowExporter.Correlator.Snmp;

/// <summary>msgFlags bits.</summary>
[Flags]
public enum V3Flags : byte
{
    None = 0,
    Auth = 1,
    Priv = 2,
    Reportable = 4,
}
