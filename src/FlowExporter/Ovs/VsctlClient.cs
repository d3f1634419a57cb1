using System.Globalization;
using System.Text;
using CliWrap;
using FlowExporter.Correlator.Ovs;

namespace FlowExporter.Ovs;

/// <summary>
/// Runs one ovs-vsctl per collection that lists only the needed columns of Bridge, Port and Interface as JSON, with
/// ovs-vsctl's own <c>--timeout</c>, a process kill when the caller's token fires, and a cap on the output.
/// </summary>
public sealed class VsctlClient
{
    private const int MaxErrorBytes = 4096;
    private readonly OvsOptions _options;

    public VsctlClient(OvsOptions options)
    {
        _options = options;
    }

    /// <summary>The arguments passed to ovs-vsctl (one invocation, three commands).</summary>
    public IReadOnlyList<string> Arguments()
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(_options.Timeout.TotalSeconds));
        return
        [
            $"--db={_options.Db.Text}", $"--timeout={seconds.ToString(CultureInfo.InvariantCulture)}", "--format=json", "--data=json",
            $"--columns=_uuid,{string.Join(',', OvsColumns.Bridge)}", "list", "Bridge", "--",
            $"--columns=_uuid,{string.Join(',', OvsColumns.Port)}", "list", "Port", "--",
            $"--columns=_uuid,{string.Join(',', OvsColumns.Interface)}", "list", "Interface",
        ];
    }

    /// <summary>Runs ovs-vsctl and parses its output; the process is killed when <paramref name="cancellationToken"/> fires.</summary>
    public async Task<OvsSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        using var stdout = new CappedBuffer(_options.MaxOutputBytes);
        using var stderr = new CappedBuffer(MaxErrorBytes);
        CommandResult result;
        try
        {
            result = await Cli.Wrap(_options.VsctlPath)
                .WithArguments(Arguments())
                .WithValidation(CommandResultValidation.None)
                .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
                .WithStandardErrorPipe(PipeTarget.ToStream(stderr))
                .ExecuteAsync(cancellationToken)
                .ConfigureAwait(false);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new OvsVsctlException("vsctl_missing", $"cannot run {_options.VsctlPath}: {ex.Message}");
        }
        catch (InvalidOperationException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new OvsVsctlException("vsctl_missing", $"cannot run {_options.VsctlPath}: {ex.Message}");
        }

        if (result.ExitCode != 0)
        {
            var error = Encoding.UTF8.GetString(stderr.Span).Trim();
            throw new OvsVsctlException("vsctl_failed", $"{_options.VsctlPath} exited with {result.ExitCode}: {FirstLine(error)}");
        }

        if (stdout.Overflowed)
        {
            throw new OvsVsctlException("vsctl_output_too_large", $"{_options.VsctlPath} printed more than {_options.MaxOutputBytes} bytes");
        }

        return OvsVsctlOutput.Parse(stdout.Span);
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var line = newline >= 0 ? text[..newline] : text;
        return line.Length > 200 ? line[..200] : line;
    }
}
