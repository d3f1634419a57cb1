using System.Text.RegularExpressions;
using FlowExporter.Correlator.Snmp;

namespace FlowExporter.Snmp;

/// <summary>One switch to poll (<c>snmp.targets[]</c>). Secrets are <see cref="SnmpSecret"/>s and never printed.</summary>
public sealed record SnmpTargetOptions
{
    public required string Name { get; init; }

    public required string Host { get; init; }

    public int Port { get; init; } = 161;

    /// <summary>"2c" or "3".</summary>
    public string Version { get; init; } = "2c";

    public SnmpSecret? Community { get; init; }

    public string User { get; init; } = string.Empty;

    public SecurityLevel SecurityLevel { get; init; }

    public AuthProtocol AuthProtocol { get; init; }

    public SnmpSecret? AuthPassphrase { get; init; }

    public PrivProtocol PrivProtocol { get; init; }

    public SnmpSecret? PrivPassphrase { get; init; }

    public string Context { get; init; } = string.Empty;

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    public int Retries { get; init; } = 2;

    public int MaxRepetitions { get; init; } = 25;

    public Regex? IncludeIfName { get; init; }

    public Regex? ExcludeIfName { get; init; }

    /// <summary>Label columns (ifName, ifAlias, ifDescr) are walked on every N-th poll (and when a new ifIndex appears).</summary>
    public int LabelRefreshEvery { get; init; } = 10;

    public bool IsV3 => Version == "3";

    public bool Includes(string ifName) =>
        (IncludeIfName is null || IncludeIfName.IsMatch(ifName)) && (ExcludeIfName is null || !ExcludeIfName.IsMatch(ifName));

    public UsmUser ToUsmUser() =>
        new(User, SecurityLevel, AuthProtocol, AuthPassphrase?.Reveal(), PrivProtocol, PrivPassphrase?.Reveal());

    public override string ToString() =>
        $"SnmpTarget {{ Name = {Name}, Address = {Host}:{Port}, Version = {Version}, " +
        (IsV3 ? $"User = {User}, SecurityLevel = {SecurityLevel}, Auth = {AuthProtocol}, Priv = {PrivProtocol}, " : "Community = (secret), ") +
        $"Interval = {Interval}, Timeout = {Timeout}, Retries = {Retries}, MaxRepetitions = {MaxRepetitions} }}";
}
