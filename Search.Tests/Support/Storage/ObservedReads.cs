using System.Reflection;
using System.Runtime.ExceptionServices;
using Mnist.Search.Storage;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Support.Storage;

/// <summary>
/// A storage that tells a test every trial list read through it (<see cref="IStudyStorage.GetAllTrialsAsync"/>), as
/// the reader gets it, and passes every call through unchanged. A test can then act at the moment the code under test
/// has seen a given state of the study (e.g. a coordinator waiting on another process's trial) instead of after a
/// guessed delay.
/// </summary>
public class ObservedReads : DispatchProxy
{
    private IStudyStorage _inner = null!;
    private Action<IReadOnlyList<TrialSnapshot>> _onRead = null!;

    /// <summary><paramref name="inner"/>, with <paramref name="onRead"/> called on each trial list read before the reader gets it.</summary>
    public static IStudyStorage Of(IStudyStorage inner, Action<IReadOnlyList<TrialSnapshot>> onRead)
    {
        var proxy = Create<IStudyStorage, ObservedReads>();
        var observed = (ObservedReads)(object)proxy;
        observed._inner = inner;
        observed._onRead = onRead;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? method, object?[]? args)
    {
        object? result;
        try { result = method!.Invoke(_inner, args); }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
        return method.Name == nameof(IStudyStorage.GetAllTrialsAsync) && result is Task<IReadOnlyList<TrialSnapshot>> read ? ObserveAsync(read) : result;
    }

    private async Task<IReadOnlyList<TrialSnapshot>> ObserveAsync(Task<IReadOnlyList<TrialSnapshot>> read)
    {
        var trials = await read;
        _onRead(trials);
        return trials;
    }
}
