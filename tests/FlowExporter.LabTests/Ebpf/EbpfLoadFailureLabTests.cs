using FlowExporter.Capture.Ebpf;
using FlowExporter.LabTests.Lab;

namespace FlowExporter.LabTests.Ebpf;

/// <summary>Each way loading or attaching can fail comes back classified, as the future <c>auto</c> engine choice needs it.</summary>
[Trait("Category", "Lab")]
public sealed class EbpfLoadFailureLabTests
{
    [Fact]
    public void A_missing_object_is_named()
    {
        var failure = Assert.Throws<EbpfException>(() => EbpfProgram.Load("/nonexistent/flow.bpf.o"));
        Assert.Equal(EbpfFailureKind.ObjectInvalid, failure.Kind);
        Assert.Contains("/nonexistent/flow.bpf.o", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verifier_rejection_carries_the_verifiers_last_lines()
    {
        LabPrerequisites.Require("clang");
        var directory = Directory.CreateTempSubdirectory("feb-verifier-");
        try
        {
            // Our program and maps, plus one more classifier reading packet data without the bounds check the verifier demands.
            var source = Path.Combine(directory.FullName, "rejected.bpf.c");
            await File.WriteAllTextAsync(source, $$"""
                #include "{{RepositoryFile("bpf/flow.bpf.c")}}"
                SEC("tc")
                int unchecked_read(struct __sk_buff *skb)
                {
                	return *(__u8 *)(long)skb->data;
                }
                """);
            var objectPath = Path.Combine(directory.FullName, "rejected.bpf.o");
            await ProcessRunner.CheckAsync("clang", ["-O2", "-g", "-target", "bpf", "-mcpu=v3", "-I/usr/include/x86_64-linux-gnu", "-c", source, "-o", objectPath], TimeSpan.FromSeconds(120));

            var failure = Assert.Throws<EbpfException>(() => EbpfProgram.Load(objectPath));
            Assert.Equal(EbpfFailureKind.VerifierRejected, failure.Kind);
            Assert.NotEmpty(failure.VerifierTail);
            Assert.Contains(failure.VerifierTail, line => line.Contains("invalid access to packet", StringComparison.Ordinal));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Without_cap_bpf_and_cap_net_admin_loading_says_a_capability_is_missing()
    {
        LabPrerequisites.Require("capsh");
        var tool = Path.Combine(AppContext.BaseDirectory, "ebpf-attach");
        var run = await ProcessRunner.RunAsync(
            "capsh",
            ["--drop=cap_bpf,cap_sys_admin,cap_net_admin,cap_perfmon", "--", "-c", $"'{tool}' check '{EbpfProgram.DefaultObjectPath}'"],
            TimeSpan.FromSeconds(60));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("failed kind=MissingCapability errno=1", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attaching_to_an_interface_that_does_not_exist_says_so()
    {
        LabPrerequisites.Require("ip", "ethtool");
        await using var lab = await VethPairLab.StartAsync();
        using var program = EbpfProgram.Load(EbpfProgram.DefaultObjectPath);
        var failure = Assert.Throws<EbpfException>(() => NetworkNamespaceThread.Run(lab.NamespaceA, () => TcAttachment.Attach(program, 99_999)));
        Assert.Equal(EbpfFailureKind.InterfaceMissing, failure.Kind);
    }

    private static string RepositoryFile(string relative)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} above {AppContext.BaseDirectory}");
    }
}
