namespace Mnist.Search.Storage;

// Rows as Dapper reads them. Enum and time columns are selected as text (CAST(... AS TEXT)) so that SQLite's
// strings and PostgreSQL's native ENUM / timestamp types read the same way.

internal sealed class StudyRow
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string? Direction { get; set; }
    public long Objectives { get; set; } = 1;
}

internal sealed class TrialRow
{
    public long TrialId { get; set; }
    public long? Number { get; set; }
    public string State { get; set; } = "";
    public string? DatetimeStart { get; set; }
    public string? DatetimeComplete { get; set; }
}

internal sealed class TrialValueRow
{
    public long TrialId { get; set; }
    public double? Value { get; set; }
    public string ValueType { get; set; } = "";
}

internal sealed class TrialIntermediateRow
{
    public long TrialId { get; set; }
    public long Step { get; set; }
    public double? Value { get; set; }
    public string ValueType { get; set; } = "";
}

internal sealed class TrialParamRow
{
    public long TrialId { get; set; }
    public string Name { get; set; } = "";
    public double Value { get; set; }
    public string DistributionJson { get; set; } = "";
}

internal sealed class AttributeRow
{
    public long OwnerId { get; set; }
    public string Key { get; set; } = "";
    public string ValueJson { get; set; } = "";
}
