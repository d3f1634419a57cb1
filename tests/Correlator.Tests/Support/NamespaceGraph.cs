using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;

namespace FlowExporter.TestSupport;

/// <summary>
/// The dependency graph between the modules of an assembly, read from its IL by NetArchTest. A module is a namespace
/// one level below the root (<c>Root.X</c>, with its sub-namespaces), or the root namespace itself; one module
/// depends on another when any of its types references any type of the other (fields, signatures, method bodies).
/// </summary>
public sealed class NamespaceGraph
{
    private NamespaceGraph(IReadOnlyDictionary<string, IReadOnlySet<string>> edges)
    {
        Edges = edges;
    }

    /// <summary>Each module's dependencies on the assembly's other modules.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> Edges { get; }

    public static NamespaceGraph Of(Assembly assembly, string root)
    {
        var modules = assembly.GetTypes()
            .Select(t => t.Namespace ?? string.Empty)
            .Where(n => n == root || n.StartsWith(root + ".", StringComparison.Ordinal))
            .Select(n => Module(root, n))
            .ToHashSet(StringComparer.Ordinal);
        // Dependencies are matched by type name prefix: a namespace name would also match its longer siblings
        // (Capture would match CaptureFiles), so each module is named by the full names of its top-level types.
        var typesOf = assembly.GetTypes()
            .Where(t => t.DeclaringType is null && !IsCompilerGenerated(t) && t.Namespace is { } n && (n == root || n.StartsWith(root + ".", StringComparison.Ordinal)))
            .GroupBy(t => Module(root, t.Namespace!), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(t => t.FullName!).ToArray(), StringComparer.Ordinal);
        var edges = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var module in modules)
        {
            var dependencies = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var other in modules.Where(m => m != module && typesOf.ContainsKey(m)))
            {
                var result = Types.InAssembly(assembly)
                    .That().ResideInNamespaceMatching(ModulePattern(root, module))
                    .Should().NotHaveDependencyOnAny(typesOf[other])
                    .GetResult();
                if (!result.IsSuccessful)
                {
                    dependencies.Add(other);
                }
            }

            edges[module] = dependencies;
        }

        return new NamespaceGraph(edges);
    }

    /// <summary>
    /// The cycles of the graph: its strongly connected components of more than one module, each sorted, after leaving
    /// out the <paramref name="allowed"/> edges.
    /// </summary>
    public IReadOnlyList<string> Cycles(params (string From, string To)[] allowed)
    {
        var graph = Edges.ToDictionary(e => e.Key, e => e.Value.Where(to => !allowed.Contains((e.Key, to))).ToArray(), StringComparer.Ordinal);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var low = new Dictionary<string, int>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        var onStack = new HashSet<string>(StringComparer.Ordinal);
        var cycles = new List<string>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var next in graph.GetValueOrDefault(node, []))
            {
                if (!index.TryGetValue(next, out var nextIndex))
                {
                    Visit(next);
                    low[node] = Math.Min(low[node], low[next]);
                }
                else if (onStack.Contains(next))
                {
                    low[node] = Math.Min(low[node], nextIndex);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                }
                while (member != node);

                if (component.Count > 1)
                {
                    cycles.Add(string.Join(" <-> ", component.Order(StringComparer.Ordinal)));
                }
            }
        }

        foreach (var node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (!index.ContainsKey(node))
            {
                Visit(node);
            }
        }

        return cycles;
    }

    /// <summary>The graph as lines <c>A -> B, C</c>, for a failure message.</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, Edges.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} -> {string.Join(", ", e.Value)}"));

    private static string Module(string root, string ns) =>
        ns == root ? root : root + "." + ns[(root.Length + 1)..].Split('.')[0];

    private static string ModulePattern(string root, string module) =>
        module == root ? $"^{Regex.Escape(root)}$" : $"^{Regex.Escape(module)}(\\..*)?$";

    private static bool IsCompilerGenerated(Type type) => type.Name.Contains('<', StringComparison.Ordinal);
}
