using System.Text.RegularExpressions;
using FlowExporter.Tests.Deploy;

namespace FlowExporter.Tests.Sources;

/// <summary>
/// House rule: no catch in src has an empty body (only whitespace or comments). A failure is either handled (a statement:
/// counted, logged, returned, retried) or not caught at all; scrape isolation catches what a contributor throws.
/// </summary>
public sealed partial class NoSwallowingCatchTests
{
    [Fact]
    public void No_catch_in_src_has_an_empty_body()
    {
        var src = RepositoryFiles.PathOf("src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        var findings = new List<string>();
        foreach (var file in files)
        {
            var text = File.ReadAllText(file);
            foreach (Match match in EmptyCatch().Matches(text))
            {
                var line = text.AsSpan(0, match.Index).Count('\n') + 1;
                findings.Add($"{Path.GetRelativePath(src, file)}:{line}: {match.Value.ReplaceLineEndings(" ")}");
            }
        }

        Assert.True(findings.Count == 0, "catch blocks without a statement:\n" + string.Join("\n", findings));
    }

    [Theory]
    [InlineData("catch { }")]
    [InlineData("catch (Exception)\n{\n    // ignore\n}")]
    [InlineData("catch (IOException ex) when (ex.HResult == 5)\n{\n    /* nothing */\n}")]
    [InlineData("catch (OperationCanceledException) when (token.IsCancellationRequested && (a || b))\n        {\n        }")]
    public void The_scan_finds_empty_bodies(string code) => Assert.Matches(EmptyCatch(), code);

    [Theory]
    [InlineData("catch (Exception ex)\n{\n    Log(ex);\n}")]
    [InlineData("catch (OperationCanceledException) when (stopping)\n{\n    // shutting down\n    return;\n}")]
    public void The_scan_passes_bodies_with_a_statement(string code) => Assert.DoesNotMatch(EmptyCatch(), code);

    // catch, an optional (type [name]), an optional when (...) with one level of nested parentheses, then a body of only
    // whitespace, line comments and block comments.
    [GeneratedRegex(@"\bcatch\b(\s*\([^)]*\))?(\s*when\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\))?\s*\{(?:\s|//[^\n]*\n|/\*.*?\*/)*\}", RegexOptions.Singleline)]
    private static partial Regex EmptyCatch();
}
