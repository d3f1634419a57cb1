using System.Text;
using FlowExporter.Hosting;

namespace FlowExporter.Tests.Http.Security;

/// <summary>A bad web config stops the process at start with exit code 2 and one line.</summary>
public sealed class ExitCodeTests : IDisposable
{
    private readonly TestCertificates _certs = new();

    public void Dispose() => _certs.Dispose();

    private static async Task<(int Exit, string Error)> RunAsync(params string[] args)
    {
        using var output = new MemoryStream();
        using var error = new StringWriter();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var exit = await ExporterProgram.RunAsync(args, output, error, new Dictionary<string, string>(), timeout.Token);
        Assert.Equal(string.Empty, Encoding.UTF8.GetString(output.ToArray()));
        return (exit, error.ToString());
    }

    [Fact]
    public async Task A_malformed_web_config_given_by_flag_exits_2_with_one_line()
    {
        var path = _certs.Write("web.yml", "tls_server_config:\n  cert_file: [unclosed\n");
        var (exit, error) = await RunAsync("--web-config-file", path, "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.StartsWith("flowexporter: config: web_config_file: not valid YAML at line ", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public async Task A_bad_certificate_path_exits_2_with_one_line()
    {
        var path = _certs.Write("web.yml", "tls_server_config:\n  cert_file: /nonexistent-dir/server.crt\n  key_file: server.key\n");
        var (exit, error) = await RunAsync("--web-config-file", path, "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.Equal("flowexporter: config: web_config_file: tls_server_config.cert_file: cannot read '/nonexistent-dir/server.crt' (no such directory)\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_missing_web_config_file_exits_2_with_one_line()
    {
        var path = Path.Combine(_certs.Directory, "absent.yml");
        var (exit, error) = await RunAsync("--web-config-file", path, "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.Equal($"flowexporter: config: web_config_file: cannot read '{path}' (no such file)\n", error.ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_hash_that_is_not_bcrypt_exits_2_without_showing_the_hash()
    {
        var path = _certs.Write("web.yml", "basic_auth_users:\n  alice: hunter2-plaintext\n");
        var (exit, error) = await RunAsync("--web-config-file", path, "--listen", "127.0.0.1:0", "--node", "n1");
        Assert.Equal(2, exit);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
        Assert.StartsWith("flowexporter: config: web_config_file: basic_auth_users.alice: not a bcrypt hash", error, StringComparison.Ordinal);
    }
}
