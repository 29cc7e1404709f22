using Mnist.Search.Cli;
using Mnist.Search.Study;
using Mnist.Search.Tests.Support;
using Serilog.Core;
using Serilog.Events;

namespace Mnist.Search.Tests.Cli;

/// <summary>study.log's lines, written by the study logger to a real file.</summary>
public sealed class StudyLogFormatTests
{
    [Fact]
    public void ALineEndsWithThePropertiesItsMessageDoesNotShowAndOnlyThen()
    {
        // Given a study's logger (console off)
        using var dir = new TempDirectory("study-log-format");
        using (var log = Logging.ForStudy(dir.Path, new LoggingLevelSwitch(LogEventLevel.Fatal)))
        {
            // When it logs a message that shows all its properties, one with a property of its context, and one with an
            // argument its template has no place for
            log.Information("Trial {Trial} {State}: done", 3, "COMPLETE");
            log.ForContext("Host", "node7").Information("Trial {Trial} started", 4);
            log.Information("Study {Study} created", "s", 9);
        }

        // Then the first line ends with its message; the others keep, as JSON, what their message does not say
        var lines = File.ReadAllLines(Path.Combine(dir.Path, StudyFolder.LogFile));
        Assert.Equal(3, lines.Length);
        Assert.EndsWith($"({Environment.ProcessId}) Trial 3 COMPLETE: done", lines[0]);
        Assert.EndsWith("Trial 4 started {\"Host\":\"node7\"}", lines[1]);
        Assert.EndsWith("Study s created {\"__1\":9}", lines[2]);
    }
}
