using System.Diagnostics;
using System.Text;

namespace FlowExporter.Tests.Deploy;

/// <summary>Runs a command-line tool (kubectl, promtool) with a timeout and capped output.</summary>
internal static class ExternalTool
{
    private const int MaxOutputChars = 4 * 1024 * 1024;

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string Describe(string command) => $"{command} exited {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
    }

    public static Result Run(string tool, IReadOnlyList<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var path = Find(tool)
            ?? throw new InvalidOperationException($"{tool} is not installed (not found on PATH); it is a prerequisite of the deploy tests (see docs/deploy.md)");
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepositoryFiles.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not finish in time");
        }

        process.WaitForExit();
        lock (output)
        {
            lock (error)
            {
                return new Result(process.ExitCode, output.ToString(), error.ToString());
            }
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            if (buffer.Length < MaxOutputChars)
            {
                buffer.Append(line).Append('\n');
            }
        }
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);
}
