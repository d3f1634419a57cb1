namespace FlowExporter.Correlator.Ipfix;

/// <summary>
/// A field of a template: an Information Element id, its length on the wire (<see cref="VariableLength"/> for a
/// variable-length string) and its enterprise number (0 for IANA's registry).
/// </summary>
public readonly record struct InformationElement(string Name, ushort Id, ushort Length, uint EnterpriseNumber = 0)
{
    /// <summary>RFC 7011 §7: the length 65535 in a template marks a variable-length field.</summary>
    public const ushort VariableLength = 0xFFFF;

    /// <summary>RFC 5103: the reverse direction of an IANA element, under this enterprise number.</summary>
    public const uint ReversePen = 29305;

    /// <summary>Antrea's Information Element registry (go-ipfix registry_antrea), for pod metadata.</summary>
    public const uint AntreaPen = 56506;

    public bool IsEnterprise => EnterpriseNumber != 0;

    /// <summary>The bytes this field specifier takes in a template record: 4, or 8 with its enterprise number.</summary>
    public int SpecifierLength => IsEnterprise ? 8 : 4;
}
