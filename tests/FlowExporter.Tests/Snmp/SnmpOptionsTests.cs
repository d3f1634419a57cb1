using FlowExporter.Configuration;
using FlowExporter.Correlator.Snmp;
using FlowExporter.Snmp;
using Microsoft.Extensions.Configuration;

namespace FlowExporter.Tests.Snmp;

public sealed class SnmpOptionsTests : IDisposable
{
    private const string Sentinel = "SENTINEL-c0mmunity-7f3a";
    private readonly string _dir = Directory.CreateTempSubdirectory("snmp-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SecretFile(string name, string value)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, value + "\n");
        return path;
    }

    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("snmp");

    [Fact]
    public void A_v2c_target_and_port_map_are_read_with_defaults()
    {
        var options = SnmpOptions.FromConfiguration(Section(new()
        {
            ["snmp:targets:0:name"] = "tor-1",
            ["snmp:targets:0:address"] = "192.0.2.10:1161",
            ["snmp:targets:0:community_file"] = SecretFile("c", Sentinel),
            ["snmp:targets:0:exclude_if_name"] = "^lo$",
            ["snmp:port_map:0:switch"] = "tor-1",
            ["snmp:port_map:0:if_name"] = "Ethernet1/1",
            ["snmp:port_map:0:node"] = "node-1",
            ["snmp:port_map:0:node_interface"] = "eth0",
            ["snmp:max_concurrent_targets"] = "8",
        }));
        var target = Assert.Single(options.Targets);
        Assert.Equal(("192.0.2.10", 1161, "2c"), (target.Host, target.Port, target.Version));
        Assert.Equal(Sentinel, target.Community!.Reveal());
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 2, 25), (target.Interval, target.Timeout, target.Retries, target.MaxRepetitions));
        Assert.False(target.Includes("lo"));
        Assert.True(target.Includes("eth0"));
        Assert.Equal(8, options.MaxConcurrentTargets);
        Assert.Equal("node-1", Assert.Single(options.PortMap).Node);
    }

    [Fact]
    public void A_v3_target_reads_both_passphrases_from_files_and_env()
    {
        var options = SnmpOptions.FromConfiguration(Section(new()
        {
            ["snmp:targets:0:name"] = "tor-2",
            ["snmp:targets:0:address"] = "[::1]:161",
            ["snmp:targets:0:version"] = "3",
            ["snmp:targets:0:user"] = "labuser",
            ["snmp:targets:0:auth_protocol"] = "SHA256",
            ["snmp:targets:0:auth_passphrase_file"] = SecretFile("a", "authpassphrase"),
            ["snmp:targets:0:priv_protocol"] = "AES",
            ["snmp:targets:0:priv_passphrase_env"] = "PRIV_VAR",
        }), name => name == "PRIV_VAR" ? "privpassphrase" : null);
        var target = options.Targets[0];
        Assert.Equal(("::1", SecurityLevel.AuthPriv, AuthProtocol.Sha256, PrivProtocol.Aes128), (target.Host, target.SecurityLevel, target.AuthProtocol, target.PrivProtocol));
        Assert.Equal(("authpassphrase", "privpassphrase"), (target.AuthPassphrase!.Reveal(), target.PrivPassphrase!.Reveal()));
    }

    [Theory]
    [InlineData("snmp:targets:0:version", "1", "snmp.targets.0.version")]
    [InlineData("snmp:targets:0:interval", "soon", "snmp.targets.0.interval")]
    [InlineData("snmp:targets:0:retries", "-1", "snmp.targets.0.retries")]
    [InlineData("snmp:targets:0:include_if_name", "([", "snmp.targets.0.include_if_name")]
    [InlineData("snmp:targets:0:address", "host:99999", "snmp.targets.0.address")]
    [InlineData("snmp:port_map:0:switch", "nope", "snmp.port_map.0.switch")]
    public void Bad_values_name_their_key_and_never_the_secret(string key, string value, string expectedKey)
    {
        var values = new Dictionary<string, string?>
        {
            ["snmp:targets:0:name"] = "tor-1",
            ["snmp:targets:0:address"] = "127.0.0.1",
            ["snmp:targets:0:community_file"] = SecretFile("c", Sentinel),
            ["snmp:port_map:0:switch"] = "tor-1",
            ["snmp:port_map:0:if_name"] = "e1",
            ["snmp:port_map:0:node"] = "n1",
            [key] = value,
        };
        var error = Assert.Throws<ConfigException>(() => SnmpOptions.FromConfiguration(Section(values)));
        Assert.Equal(expectedKey, error.Key);
        Assert.DoesNotContain(Sentinel, error.Message);
    }

    [Fact]
    public void Missing_secret_file_is_a_clear_error()
    {
        var error = Assert.Throws<ConfigException>(() => SnmpOptions.FromConfiguration(Section(new()
        {
            ["snmp:targets:0:name"] = "tor-1",
            ["snmp:targets:0:address"] = "127.0.0.1",
            ["snmp:targets:0:community_file"] = Path.Combine(_dir, "missing"),
        })));
        Assert.Equal("snmp.targets.0.community_file", error.Key);
    }

    [Fact]
    public void No_targets_means_off()
    {
        var options = SnmpOptions.FromConfiguration(Section([]));
        Assert.False(options.Enabled);
    }

    [Fact]
    public void Options_never_print_secrets()
    {
        var options = SnmpOptions.FromConfiguration(Section(new()
        {
            ["snmp:targets:0:name"] = "a",
            ["snmp:targets:0:address"] = "127.0.0.1",
            ["snmp:targets:0:community_env"] = "COMMUNITY",
            ["snmp:targets:1:name"] = "b",
            ["snmp:targets:1:address"] = "127.0.0.1",
            ["snmp:targets:1:version"] = "3",
            ["snmp:targets:1:user"] = "u",
            ["snmp:targets:1:security_level"] = "authPriv",
            ["snmp:targets:1:auth_passphrase_file"] = SecretFile("a", Sentinel + "-auth"),
            ["snmp:targets:1:priv_passphrase_file"] = SecretFile("p", Sentinel + "-priv"),
        }), _ => Sentinel);
        Assert.DoesNotContain(Sentinel, options.ToString());
        Assert.DoesNotContain(Sentinel, options.Targets[0].ToString());
        Assert.DoesNotContain(Sentinel, options.Targets[1].ToString());
        Assert.DoesNotContain(Sentinel, options.Targets[1].ToUsmUser().ToString());
    }
}
