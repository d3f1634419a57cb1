namespace FlowExporter.LabTests.Lab;

[Trait("Category", "Lab")]
public sealed class LabPrerequisitesTests
{
    [Fact]
    public void A_missing_tool_fails_with_a_message_naming_it()
    {
        var error = Assert.Throws<InvalidOperationException>(() => LabPrerequisites.Require("ip", "fe-no-such-tool"));
        Assert.Contains("'fe-no-such-tool' on PATH", error.Message);
        Assert.DoesNotContain("'ip'", error.Message);
    }

    [Fact]
    public void This_machine_has_the_ovs_lab()
    {
        LabPrerequisites.RequireOvsLab("iperf3");
    }
}
