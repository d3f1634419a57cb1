using System.Text;
using CliWrap;

namespace FlowExporter.LabTests.Lab;

/// <summary>The outcome of one external command run by a lab test.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Throws with the command line, exit code and both streams when the command failed.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (!Succeeded)
        {
            throw new InvalidOperationException(
                $"'{Command}' exited with {ExitCode}\nstdout: {StandardOutput.Trim()}\nstderr: {StandardError.Trim()}");
        }

        return this;
    }
}

/// <summary>
/// Runs external commands for lab tests: always with a timeout (the process tree is killed when it expires), output
/// captured and capped, never throwing on a non-zero exit unless asked to.
/// </summary>
public static class ProcessRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    private const int MaxCapturedChars = 4 * 1024 * 1024;

    public static async Task<ProcessResult> RunAsync(
        string file,
        IReadOnlyList<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var stdout = new CappedText(MaxCapturedChars);
        var stderr = new CappedText(MaxCapturedChars);
        var commandLine = file + " " + string.Join(' ', arguments);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? DefaultTimeout);
        var command = Cli.Wrap(file)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(stdout.AppendLine))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(stderr.AppendLine));
        if (environment is not null)
        {
            command = command.WithEnvironmentVariables(environment);
        }

        try
        {
            var result = await command.ExecuteAsync(cts.Token);
            return new ProcessResult(commandLine, result.ExitCode, stdout.ToString(), stderr.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"'{commandLine}' did not finish within {(timeout ?? DefaultTimeout).TotalSeconds:0.#}s (killed)");
        }
    }

    /// <summary>Runs a command and throws unless it exits with 0.</summary>
    public static async Task<ProcessResult> CheckAsync(
        string file,
        IReadOnlyList<string> arguments,
        TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default) =>
        (await RunAsync(file, arguments, timeout, environment, cancellationToken)).EnsureSuccess();

    private sealed class CappedText(int maxChars)
    {
        private readonly StringBuilder _text = new();
        private readonly Lock _gate = new();

        public void AppendLine(string line)
        {
            lock (_gate)
            {
                if (_text.Length + line.Length < maxChars)
                {
                    _text.Append(line).Append('\n');
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }
}
