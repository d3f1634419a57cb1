using System.Security.Cryptography;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.CapturePoints;

/// <summary>Two network namespaces of the test's own (random suffix): the watched one, and another to move links into.</summary>
internal sealed class NetlinkLab : IAsyncDisposable
{
    private NetlinkLab(string suffix)
    {
        Suffix = suffix;
        Watched = $"fxpt-{suffix}";
        Elsewhere = $"fxpt2-{suffix}";
    }

    public string Suffix { get; }

    public string Watched { get; }

    public string Elsewhere { get; }

    public static async Task<NetlinkLab> CreateAsync()
    {
        LabPrerequisites.Require("ip");
        var lab = new NetlinkLab(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        await ProcessRunner.CheckAsync("ip", ["netns", "add", lab.Watched]);
        await ProcessRunner.CheckAsync("ip", ["netns", "add", lab.Elsewhere]);
        return lab;
    }

    /// <summary>Runs <c>ip -n WATCHED ARGS...</c> and throws unless it succeeds.</summary>
    public Task Ip(params string[] arguments) => ProcessRunner.CheckAsync("ip", ["-n", Watched, .. arguments]);

    /// <summary>Runs many <c>ip</c> commands in one process (<c>ip -batch</c>) in the watched namespace.</summary>
    public async Task Batch(IEnumerable<string> lines)
    {
        var file = Path.Combine(Path.GetTempPath(), $"fxpt-{Suffix}-{Guid.NewGuid():N}.batch");
        await File.WriteAllLinesAsync(file, lines);
        try
        {
            await ProcessRunner.CheckAsync("ip", ["-n", Watched, "-batch", file], TimeSpan.FromSeconds(60));
        }
        finally
        {
            File.Delete(file);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessRunner.RunAsync("ip", ["netns", "del", Watched]);
        await ProcessRunner.RunAsync("ip", ["netns", "del", Elsewhere]);
    }
}
