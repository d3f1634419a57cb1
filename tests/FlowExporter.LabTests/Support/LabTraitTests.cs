using System.Reflection;

namespace FlowExporter.LabTests.Support;

/// <summary>
/// <c>scripts/test --fast</c> runs every test without <c>Category=Lab</c> and must need no root, namespaces, OVS, snmpd,
/// Prometheus or podman. Every test class of this project therefore carries the trait, unless it is listed here as
/// needing none of those. This test needs nothing, so it runs in the fast set too.
/// </summary>
public sealed class LabTraitTests
{
    /// <summary>Test classes here that need neither root nor a lab service (they start only unprivileged local processes).</summary>
    private static readonly HashSet<string> NeedNoLab = [nameof(LabTraitTests), "KubeApiStandInTests"];

    [Fact]
    public void Every_test_class_that_needs_the_lab_carries_the_Lab_trait()
    {
        var unmarked = typeof(LabTraitTests).Assembly.GetTypes()
            .Where(type => type.GetMethods().Any(method => method.GetCustomAttributes<FactAttribute>().Any()))
            .Where(type => !NeedNoLab.Contains(type.Name))
            .Where(type => !HasLabTrait(type))
            .Select(type => type.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(unmarked.Count == 0, $"test classes without [Trait(\"Category\", \"Lab\")]: {string.Join(", ", unmarked)}");
    }

    private static bool HasLabTrait(Type type) =>
        type.GetCustomAttributesData().Any(a =>
            a.AttributeType == typeof(TraitAttribute) &&
            a.ConstructorArguments is [{ Value: "Category" }, { Value: "Lab" }]);
}
