namespace Mnist.Search.Vocabulary;

/// <summary>
/// A study as storage holds it: id, unique name and direction (its first objective's). <see cref="Objectives"/>: how
/// many objectives it has; an Optuna multi-objective study has several, which this tool can neither search nor rank.
/// </summary>
public sealed record StudyInfo(int Id, string Name, StudyDirection Direction, int Objectives = 1);
