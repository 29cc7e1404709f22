using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Mnist.Search.Tests.Support.Scheduling;

/// <summary>Keeps every log event, so tests can assert what a service reported (Serilog's own test double).</summary>
public sealed class CollectingSink : ILogEventSink
{
    private readonly List<LogEvent> _events = [];

    public IReadOnlyList<LogEvent> Events
    {
        get
        {
            lock (_events) return _events.ToList();
        }
    }

    public IEnumerable<string> Messages(LogEventLevel level) =>
        Events.Where(e => e.Level == level).Select(e => e.RenderMessage());

    public void Emit(LogEvent logEvent)
    {
        lock (_events) _events.Add(logEvent);
    }

    /// <summary>A logger writing into a new sink.</summary>
    public static (ILogger Logger, CollectingSink Sink) Create()
    {
        var sink = new CollectingSink();
        return (new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger(), sink);
    }
}
