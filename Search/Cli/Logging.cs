using Serilog;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Display;
using Serilog.Parsing;

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
    /// Logs to the study's log file (everything, with the properties its messages do not show) and to the console — on stderr, so
    /// stdout stays for output programs read — from the level <paramref name="console"/> says (raised while a live
    /// view owns the terminal, lowered again after it).
    /// </summary>
    public static Serilog.Core.Logger ForStudy(string studyDirectory, Serilog.Core.LoggingLevelSwitch console) => new LoggerConfiguration()
        .MinimumLevel.Debug()
        // Its own name: a message naming another process's {Pid} (a worker, a dead coordinator) took the column over,
        // as an enricher never replaces a property the message has.
        .Enrich.WithProperty(WriterPid, Environment.ProcessId)
        .WriteTo.Console(outputTemplate: ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Verbose, levelSwitch: console)
        .WriteTo.File(new StudyLogFormatter(), Path.Combine(studyDirectory, Study.StudyFolder.LogFile), shared: true)
        .CreateLogger();

    /// <summary>
    /// A study.log line: the message, then as JSON the properties it does not show (a context's, or an argument the
    /// message has no place for), only when there are any. Every line ended in <c>{}</c> (audit-cli 11), as Serilog's
    /// <c>{Properties}</c> leaves out those the message and the line show and prints an empty object for the rest.
    /// </summary>
    private sealed class StudyLogFormatter : ITextFormatter
    {
        private const string Line = "{Timestamp:yyyy-MM-dd HH:mm:ss.fff} [{Level:u3}] ({" + WriterPid + "}) {Message:lj}";
        private readonly MessageTemplateTextFormatter _plain = new(Line + "{NewLine}{Exception}");
        private readonly MessageTemplateTextFormatter _withProperties = new(Line + " {Properties:j}{NewLine}{Exception}");

        public void Format(LogEvent logEvent, TextWriter output) =>
            (HasUnshownProperties(logEvent) ? _withProperties : _plain).Format(logEvent, output);

        private static bool HasUnshownProperties(LogEvent logEvent) =>
            logEvent.Properties.Keys.Any(name => name != WriterPid &&
                !logEvent.MessageTemplate.Tokens.OfType<PropertyToken>().Any(t => t.PropertyName == name));
    }
}
