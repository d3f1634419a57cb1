namespace FlowExporter.Correlator.Snmp;

/// <summary>
/// A v3 user's settings. Passphrases are held here only until keys are localised; <see cref="ToString"/> never shows them.
/// </summary>
public sealed record UsmUser(string Name, SecurityLevel Level, AuthProtocol Auth, string? AuthPassphrase, PrivProtocol Priv, string? PrivPassphrase)
{
    public override string ToString() => $"UsmUser {{ Name = {Name}, Level = {Level}, Auth = {Auth}, Priv = {Priv} }}";
}
