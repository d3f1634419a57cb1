namespace FlowExporter.Probes;

/// <summary>One term of a label selector.</summary>
public sealed record LabelRequirement(string Key, LabelOperator Operator, string? Value)
{
    public bool Matches(IDictionary<string, string>? labels)
    {
        string? actual = null;
        var present = labels is not null && labels.TryGetValue(Key, out actual);
        return Operator switch
        {
            LabelOperator.Equals => present && actual == Value,
            LabelOperator.NotEquals => !present || actual != Value,
            LabelOperator.Exists => present,
            _ => !present,
        };
    }
}
