using Serilog;
using Serilog.Events;

namespace Mnist.Search.Cli;

/// <summary>Serilog setup: the console for people, <c>studies/&lt;name&gt;/study.log</c> for the record.</summary>
internal static class Logging
{
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
        .Enrich.WithProperty("Pid", Environment.ProcessId)
        .WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose, levelSwitch: console)
        .WriteTo.File(Path.Combine(studyDirectory, Study.StudyFolder.LogFile),
            outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] ({Pid}) {Message:lj} {Properties:j}{NewLine}{Exception}",
            shared: true)
        .CreateLogger();
}
