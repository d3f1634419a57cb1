using FlowExporter.Configuration;
using FlowExporter.Ovs;
using Microsoft.Extensions.Configuration;

namespace FlowExporter.Tests.Ovs;

public sealed class OvsOptionsTests
{
    private static IConfigurationSection Section(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>("ovs:" + v.Key, v.Value)))
            .Build()
            .GetSection("ovs");

    [Fact]
    public void An_absent_section_turns_the_source_off()
    {
        Assert.Null(OvsOptions.FromConfiguration(Section()));
    }

    [Fact]
    public void Defaults_are_ovsdb_mode_on_the_standard_socket()
    {
        var options = OvsOptions.FromConfiguration(Section(("mode", "ovsdb")))!;
        Assert.Equal(OvsMode.Ovsdb, options.Mode);
        Assert.Equal("unix:/var/run/openvswitch/db.sock", options.Db.Text);
        Assert.Equal("/var/run/openvswitch/db.sock", options.Db.UnixPath);
        Assert.Equal("ovs-vsctl", options.VsctlPath);
        Assert.Equal(TimeSpan.FromSeconds(5), options.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(15), options.Interval);
    }

    [Fact]
    public void Every_key_is_read()
    {
        var options = OvsOptions.FromConfiguration(Section(
            ("mode", "vsctl"), ("db", "tcp:127.0.0.1:6640"), ("vsctl_path", "/usr/bin/ovs-vsctl"), ("timeout", "2s"), ("interval", "10s")))!;
        Assert.Equal(
            (OvsMode.Vsctl, "127.0.0.1", 6640, "/usr/bin/ovs-vsctl", TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)),
            (options.Mode, options.Db.Host, options.Db.Port, options.VsctlPath, options.Timeout, options.Interval));
        Assert.Equal("::1", OvsOptions.FromConfiguration(Section(("db", "tcp:[::1]:6640")))!.Db.Host);
    }

    [Theory]
    [InlineData("mode", "kernel", "config: ovs.mode: 'kernel' is not one of ovsdb, vsctl")]
    [InlineData("db", "ssl:1.2.3.4:6640", "config: ovs.db: must be unix:PATH or tcp:HOST:PORT (ssl: is not supported)")]
    [InlineData("db", "unix:relative.sock", "config: ovs.db: unix: needs an absolute socket path (unix:/var/run/openvswitch/db.sock)")]
    [InlineData("db", "tcp:127.0.0.1:70000", "config: ovs.db: tcp: needs HOST:PORT with a port from 1 to 65535 (tcp:127.0.0.1:6640)")]
    [InlineData("db", "tcp:6640", "config: ovs.db: tcp: needs HOST:PORT with a port from 1 to 65535 (tcp:127.0.0.1:6640)")]
    [InlineData("timeout", "soon", "config: ovs.timeout: 'soon' is not a duration (examples: 500ms, 30s, 5m, 1h)")]
    [InlineData("timeout", "10ms", "config: ovs.timeout: must be at least 0.1s")]
    [InlineData("interval", "0s", "config: ovs.interval: must be at least 1s")]
    [InlineData("vsctl_path", " ", "config: ovs.vsctl_path: is empty")]
    public void Bad_values_stop_the_start_with_one_line_naming_the_key(string key, string value, string message)
    {
        var error = Assert.Throws<ConfigException>(() => OvsOptions.FromConfiguration(Section((key, value))));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void In_vsctl_mode_the_timeout_cannot_exceed_the_interval()
    {
        var error = Assert.Throws<ConfigException>(() => OvsOptions.FromConfiguration(Section(("mode", "vsctl"), ("timeout", "20s"), ("interval", "10s"))));
        Assert.Equal("config: ovs.timeout: must not exceed ovs interval in vsctl mode", error.Message);
    }
}
