namespace FlowExporter.Snmp;

/// <summary>A community or passphrase. Prints as a placeholder so it cannot leak through logs, exceptions or option dumps.</summary>
public sealed class SnmpSecret
{
    private readonly string _value;

    public SnmpSecret(string value) => _value = value;

    public string Reveal() => _value;

    public override string ToString() => "(secret)";
}
