namespace Mnist.Search.Vocabulary;

/// <summary>Optimization direction. Names match Optuna's <c>StudyDirection</c> and are stored as text.</summary>
public enum StudyDirection
{
    NOT_SET,
    MINIMIZE,
    MAXIMIZE,
}
