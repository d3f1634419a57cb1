using System.Text;
using FlowExporter.Hosting;

namespace FlowExporter.Tests.Configuration;

/// <summary>
/// Issue 16's bad input, through the whole program: an unknown selector key or discovery source, or an invalid glob
/// (in the file or on the command line), stops the start with exit code 2 and one line naming the key.
/// </summary>
public sealed class CaptureSelectorExitCodeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-points-exit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("capture:\n  discovr: [uplinks]\n", "flowexporter: config: capture.discovr: unknown key (did you mean discover?)")]
    [InlineData("capture:\n  discover: [uplinks, pods]\n", "flowexporter: config: capture.discover.1: 'pods': unknown discovery source (known: ovs_pod_ports, uplinks)")]
    [InlineData("capture:\n  interfaces: [eth0, 'veth[0-9']\n", "flowexporter: config: capture.interfaces.1: 'veth[0-9': invalid interface name or glob: the class opened at position 5 is not closed with ']'")]
    [InlineData("capture:\n  interfaces: ['veth\\']\n", "flowexporter: config: capture.interfaces.0: 'veth\\': invalid interface name or glob")]
    public async Task A_bad_selector_in_the_file_exits_2_with_one_line_naming_the_key(string yaml, string expected)
    {
        var config = Path.Combine(_directory, "config.yaml");
        await File.WriteAllTextAsync(config, yaml);
        var (exit, error) = await RunAsync("--config", config, "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task An_invalid_glob_given_by_flag_exits_2_with_one_line_naming_the_key()
    {
        var (exit, error) = await RunAsync("--interface", "eth0", "--interface", "!lxc[a-", "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: config: capture.interfaces.1: '!lxc[a-': invalid interface name or glob: the class opened at position 4 is not closed with ']'\n", error.ReplaceLineEndings("\n"));
    }

    private static async Task<(int Exit, string Error)> RunAsync(params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync(args, output, error, new Dictionary<string, string>(), timeout.Token);
        Assert.Equal(string.Empty, Encoding.UTF8.GetString(output.ToArray()));
        return (exit, error.ToString());
    }
}
