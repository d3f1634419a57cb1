using System.Text;
using CliWrap;

namespace FlowExporter.LabTests.Snmp;

/// <summary>Runs a tool with a timeout and a cap on what it prints; fails with the tool's name when it is missing.</summary>
internal static class BoundedProcess
{
    private const int MaxOutput = 8 * 1024 * 1024;

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var path = Require(tool);
        var stdout = new CappedText();
        var stderr = new CappedText();
        using var cancel = new CancellationTokenSource(timeout);
        var result = await Cli.Wrap(path)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(stdout.Add))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(stderr.Add))
            .ExecuteAsync(cancel.Token);
        return (result.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The absolute path of a tool on PATH or in /usr/sbin, or a failing assertion that names it.</summary>
    public static string Require(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Concat(["/usr/sbin", "/usr/bin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"prerequisite missing: '{tool}' is not installed (Debian packages snmpd, snmp, snmpsim; see scripts/install-prereqs)");
        return string.Empty;
    }

    internal sealed class CappedText
    {
        private readonly StringBuilder _text = new();

        public void Add(string line)
        {
            lock (_text)
            {
                if (_text.Length < MaxOutput)
                {
                    _text.AppendLine(line);
                }
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
