using FlowExporter.Commands;

namespace FlowExporter.Tests.Commands;

public sealed class CommandLineTests
{
    [Fact]
    public void Flags_become_configuration_keys_and_interfaces_repeat()
    {
        var command = CommandLine.Parse(["--config", "/etc/fe.yaml", "--interface", "veth1", "--interface=veth2", "--bpf", "tcp", "--connection-timeout", "30", "--listen", "127.0.0.1:9100"]);
        Assert.Equal(CommandKind.Run, command.Kind);
        Assert.Equal("/etc/fe.yaml", command.ConfigFile);
        Assert.Equal("veth1", command.Overrides["capture:interfaces:0"]);
        Assert.Equal("veth2", command.Overrides["capture:interfaces:1"]);
        Assert.Equal("tcp", command.Overrides["capture:bpf"]);
        Assert.Equal("30", command.Overrides["connections:timeout"]);
        Assert.Equal("127.0.0.1:9100", command.Overrides["listen"]);
    }

    [Fact]
    public void Replay_takes_a_file_and_a_format()
    {
        var command = CommandLine.Parse(["replay", "x.pcap", "--connection-timeout", "5", "--format", "openmetrics"]);
        Assert.Equal(CommandKind.Replay, command.Kind);
        Assert.Equal("x.pcap", command.ReplayFile);
        Assert.Equal("openmetrics", command.OutputFormat);
        Assert.False(command.ReplayQuality);
        Assert.True(CommandLine.Parse(["replay", "x.pcap", "--quality"]).ReplayQuality);
    }

    [Theory]
    [InlineData(new[] { "--nope" }, "unknown flag --nope (did you mean --node?)")]
    [InlineData(new[] { "--colour" }, "unknown flag --colour (see --help)")]
    [InlineData(new[] { "--listen" }, "--listen needs a value")]
    [InlineData(new[] { "replay" }, "replay needs a capture file: flowexporter replay FILE")]
    [InlineData(new[] { "replay", "a.pcap", "--format", "json" }, "--format: 'json' is not prometheus or openmetrics")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray' (see --help)")]
    public void Bad_command_lines_fail_with_one_clear_line(string[] args, string message) =>
        Assert.Equal(message, Assert.Throws<UsageException>(() => CommandLine.Parse(args)).Message);
}
