using System.Runtime.Versioning;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>
/// scripts/lib/as-root.sh, which scripts/lab, scripts/test, scripts/install-prereqs and the root benchmarks source: as
/// root it runs the script as it is (a root shell without sudo installed works), as a user it re-executes the script
/// with sudo with the same arguments, and as a user without sudo it stops with one line. The user cases run as
/// <c>nobody</c> through runuser, so the test itself needs root.
/// </summary>
[Trait("Category", "Lab")]
[SupportedOSPlatform("linux")]
public sealed class RootReexecTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fe-asroot-").FullName;
    private readonly string _probe;
    private readonly string _fakeSudoDirectory;

    public RootReexecTests()
    {
        LabPrerequisites.Require("runuser", "bash");
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "FlowExporter.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("the repository root (FlowExporter.sln) was not found");
        }

        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead |
            UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(_directory, readable);
        var lib = Directory.CreateDirectory(Path.Combine(_directory, "lib")).FullName;
        File.SetUnixFileMode(lib, readable);
        File.Copy(Path.Combine(root, "scripts", "lib", "as-root.sh"), Path.Combine(lib, "as-root.sh"));
        File.SetUnixFileMode(Path.Combine(lib, "as-root.sh"), readable);

        _probe = Path.Combine(_directory, "probe");
        File.WriteAllText(_probe, "#!/usr/bin/env bash\nset -euo pipefail\n. \"$(dirname \"$0\")/lib/as-root.sh\"\nprintf 'uid=%s' \"$(id -u)\"\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\n");
        File.SetUnixFileMode(_probe, readable);

        // Stands in for sudo: prints what it was asked to run, one bracketed argument at a time.
        _fakeSudoDirectory = Directory.CreateDirectory(Path.Combine(_directory, "fakebin")).FullName;
        File.SetUnixFileMode(_fakeSudoDirectory, readable);
        var sudo = Path.Combine(_fakeSudoDirectory, "sudo");
        File.WriteAllText(sudo, "#!/bin/sh\nprintf 'sudo'\nfor a in \"$@\"; do printf ' [%s]' \"$a\"; done\necho\n");
        File.SetUnixFileMode(sudo, readable);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task As_root_the_script_runs_without_sudo()
    {
        Assert.True(LabPrerequisites.IsRoot(), "this test must run as root");
        // A PATH holding no sudo: as root the helper must never look for it.
        var result = await ProcessRunner.RunAsync(_probe, ["a", "b c"], environment: new Dictionary<string, string?> { ["PATH"] = "/usr/bin:/bin" });
        Assert.Equal((0, "uid=0 [a] [b c]\n", string.Empty), (result.ExitCode, result.StandardOutput, result.StandardError));
    }

    [Fact]
    public async Task As_a_user_with_sudo_the_script_re_executes_itself_with_sudo_and_the_same_arguments()
    {
        var path = $"{_fakeSudoDirectory}:/usr/bin:/bin";
        // The variables the helper carries over (CI is set in CI's own run) are unset here, so the call is exactly this.
        var result = await ProcessRunner.RunAsync(
            "runuser", ["-u", "nobody", "--", "env", "-u", "CI", "-u", "DOTNET_ROOT", "-u", "NUGET_PACKAGES", $"PATH={path}", _probe, "a", "b c"]);
        Assert.Equal((0, $"sudo [env] [PATH={path}] [{_probe}] [a] [b c]\n", string.Empty), (result.ExitCode, result.StandardOutput, result.StandardError));
    }

    [Fact]
    public async Task As_a_user_without_sudo_the_script_says_to_run_it_as_root()
    {
        // A PATH with the tools the script uses and no sudo, whether or not this machine has one.
        var bin = Directory.CreateDirectory(Path.Combine(_directory, "nosudo")).FullName;
        foreach (var tool in new[] { "bash", "env", "id", "dirname", "basename", "readlink" })
        {
            File.CreateSymbolicLink(Path.Combine(bin, tool), LabPrerequisites.FindOnPath(tool) ?? throw new InvalidOperationException($"'{tool}' is not on PATH"));
        }

        var result = await ProcessRunner.RunAsync("runuser", ["-u", "nobody", "--", "/usr/bin/env", $"PATH={bin}", _probe, "a"]);
        Assert.Equal(
            (1, string.Empty, "probe: needs root (namespaces, Open vSwitch, packet capture) and sudo is not installed: run it as root\n"),
            (result.ExitCode, result.StandardOutput, result.StandardError));
    }
}
