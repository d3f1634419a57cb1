using System.Globalization;
using System.Text.Json;

namespace FlowExporter.LabTests.Quickstart;

/// <summary>One instant query's answer: an error (as Prometheus words it) or the result's samples.</summary>
public sealed record QueryAnswer(string? Error, IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> Samples);

/// <summary>Instant queries against a Prometheus on this host's loopback (/api/v1/query), each with a timeout.</summary>
public sealed class PrometheusApi(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };

    public Uri BaseAddress => baseAddress;

    public async Task<QueryAnswer> QueryAsync(string promql)
    {
        using var content = new FormUrlEncodedContent([new KeyValuePair<string, string>("query", promql)]);
        using var response = await _http.PostAsync(new Uri("/api/v1/query", UriKind.Relative), content);
        var body = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (root.GetProperty("status").GetString() != "success")
        {
            return new QueryAnswer($"{root.GetProperty("errorType").GetString()}: {root.GetProperty("error").GetString()}", []);
        }

        var data = root.GetProperty("data");
        var samples = new List<(IReadOnlyDictionary<string, string>, double)>();
        if (data.GetProperty("resultType").GetString() == "scalar")
        {
            samples.Add((new Dictionary<string, string>(), Value(data.GetProperty("result"))));
            return new QueryAnswer(null, samples);
        }

        foreach (var item in data.GetProperty("result").EnumerateArray())
        {
            var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? string.Empty);
            samples.Add((labels, Value(item.GetProperty("value"))));
        }

        return new QueryAnswer(null, samples);
    }

    /// <summary>The samples of a query that must not fail.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> SamplesAsync(string promql)
    {
        var answer = await QueryAsync(promql);
        return answer.Error is null ? answer.Samples : throw new InvalidOperationException($"{promql}: {answer.Error}");
    }

    public void Dispose() => _http.Dispose();

    private static double Value(JsonElement pair) => pair[1].GetString() switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        var text => double.Parse(text!, CultureInfo.InvariantCulture),
    };
}
