namespace FlowExporter.Tests.Deploy;

/// <summary>
/// The scripts a newcomer runs first work as root without sudo and as a user with sudo: each that needs root sources
/// scripts/lib/as-root.sh (re-execute with sudo only when not root) and none calls sudo itself.
/// </summary>
public sealed class ScriptsTests
{
    public static TheoryData<string> NeedRoot => new() { "scripts/lab", "scripts/test", "scripts/install-prereqs", "bench/ovs/run.sh", "bench/soak/run.sh", "bench/ebpf/run.sh", "bench/ebpf/cost.sh", "bench/ebpf/scale.sh", "bench/points/run.sh" };

    [Theory]
    [MemberData(nameof(NeedRoot))]
    public void A_script_that_needs_root_re_executes_itself_with_sudo_only_when_not_root(string script)
    {
        var lines = File.ReadAllLines(RepositoryFiles.PathOf(script.Split('/')));
        Assert.Contains(lines, line => !line.TrimStart().StartsWith('#') && line.Contains("/lib/as-root.sh\"", StringComparison.Ordinal));
        var calls = lines.Where(line => !line.TrimStart().StartsWith('#') && System.Text.RegularExpressions.Regex.IsMatch(line, @"(^|[\s;&|(])sudo\s")).ToList();
        Assert.True(calls.Count == 0, $"{script} calls sudo itself: {string.Join(" | ", calls)}");
    }

    [Fact]
    public void The_readme_quick_start_needs_no_sudo_in_front()
    {
        var readme = File.ReadAllText(RepositoryFiles.PathOf("README.md"));
        Assert.DoesNotContain("sudo scripts/", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("sudo bench/", readme, StringComparison.Ordinal);
    }
}
