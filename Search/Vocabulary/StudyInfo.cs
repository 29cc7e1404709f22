namespace Mnist.Search.Vocabulary;

/// <summary>A study as storage holds it: id, unique name and direction.</summary>
public sealed record StudyInfo(int Id, string Name, StudyDirection Direction);
