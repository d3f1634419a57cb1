namespace FlowExporter.Probes;

/// <summary>How a label selector term compares a label.</summary>
public enum LabelOperator
{
    Equals,
    NotEquals,
    Exists,
    DoesNotExist,
}
