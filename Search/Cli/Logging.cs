using Serilog;
using Serilog.Events;

namespace Mnist.Search.Cli;

/// <summary>Serilog setup: the console for people, <c>studies/&lt;name&gt;/study.log</c> for the record.</summary>
internal static class Logging
{
    /// <summary>The property, and study.log's column, of the process that wrote a line: the N processes of a shared study
    /// write one file.</summary>
    private const string WriterPid = "WriterPid";

    private const string ConsoleTemplate = "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}";

    /// <summary>A console-only logger for commands that have no study folder.</summary>
    public static ILogger Console(bool quiet = false) => new LoggerConfiguration()
        .MinimumLevel.Debug()
        .WriteTo.Console(quiet ? LogEventLevel.Warning : LogEventLevel.Information, ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose)
        .CreateLogger();

    /// <summary>
    /// Logs to the study's log file (everything, with properties) and to the console — on stderr, so
    /// stdout stays for output programs read — from the level <paramref name="console"/> says (raised while a live
    /// view owns the terminal, lowered again after it).
    /// </summary>
    public static Serilog.Core.Logger ForStudy(string studyDirectory, Serilog.Core.LoggingLevelSwitch console) => new LoggerConfiguration()
        .MinimumLevel.Debug()
        // Its own name: a message naming another process's {Pid} (a worker, a dead coordinator) took the column over,
        // as an enricher never replaces a property the message has.
        .Enrich.WithProperty(WriterPid, Environment.ProcessId)
        .WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose, levelSwitch: console)
        .WriteTo.File(Path.Combine(studyDirectory, Study.StudyFolder.LogFile),
            outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] ({" + WriterPid + "}) {Message:lj} {Properties:j}{NewLine}{Exception}",
            shared: true)
        .CreateLogger();
}
