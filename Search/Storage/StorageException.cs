namespace Mnist.Search.Storage;

/// <summary>
/// The storage cannot be used as asked: the database is missing, is not an Optuna database, is corrupt, or its
/// folder cannot be written. The message is one line naming the storage (password masked) and what is wrong;
/// the command line reports it with exit code 2.
/// </summary>
public sealed class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The database server cannot be reached (refused, unknown host, timed out): the network's or the server's state, not
/// the input's, and it may work when tried again. One line naming the storage (password masked); exit code 1.
/// </summary>
public sealed class StorageUnreachableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// The study was deleted from its storage (by another client, Optuna's <c>delete_study</c>) while a process ran it: one
/// line naming the study and the storage, exit code 1 (it was "no study with id 1" and two stack traces).
/// </summary>
public sealed class StudyDeletedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Another process held the database's lock for longer than every attempt waited (<see cref="LockWait"/>): the
/// machine's state, not the input's, and it may work when tried again. One line naming the storage; exit code 1.
/// </summary>
public sealed class StorageLockedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A write failed because the disk holding the storage is full. The command line stops the study (running
/// trials are recorded FAIL first) and reports it on one line with exit code 1.
/// </summary>
public sealed class StorageFullException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A change to a trial that is no longer RUNNING (another process's sweep failed it, or it finished): storage has
/// the final word on it. An <see cref="InvalidOperationException"/>, as the storage contract has always said; its own
/// type so a caller tells it from an <see cref="InvalidOperationException"/> that means something else (a driver's).
/// </summary>
public sealed class TrialNotRunningException(string message) : InvalidOperationException(message);

/// <summary>
/// A trial or study row that is not (or no longer) in the storage: another client deleted the study under a running
/// process. A <see cref="KeyNotFoundException"/>, as before, of its own type so that callers can tell it from a lookup bug of ours.
/// </summary>
public sealed class RowNotFoundException(string message) : KeyNotFoundException(message);
