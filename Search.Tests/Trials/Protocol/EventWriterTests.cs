using System.Text;
using System.Text.Json.Nodes;
using Mnist.Trials.Protocol;

namespace Mnist.Search.Tests.Trials.Protocol;

public sealed class EventWriterTests
{
    [Fact]
    public void WhenEventsAreWrittenThenEachIsOneJsonLineWithEventFirstAndNonFiniteNumbersAsNull()
    {
        // Given
        using var buffer = new MemoryStream();
        var writer = new EventWriter(buffer);

        // When
        writer.Write("epoch", new JsonObject { ["epoch"] = 1, ["val_loss"] = EventWriter.Number(double.NaN), ["train_loss"] = EventWriter.Number(0.5) });
        writer.Write("result", new JsonObject { ["state"] = "complete", ["test_accuracy"] = EventWriter.Number(null) });

        // Then
        var lines = Encoding.UTF8.GetString(buffer.ToArray()).Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Equal("", lines[2]);
        Assert.Equal("""{"event":"epoch","epoch":1,"val_loss":null,"train_loss":0.5}""", lines[0]);
        Assert.Equal("""{"event":"result","state":"complete","test_accuracy":null}""", lines[1]);
    }

    [Theory]
    [InlineData(1e-7)]
    [InlineData(4.9e-7)]
    [InlineData(0.123456789012345)]
    [InlineData(1310.5234567891234)]
    public void WhenANumberIsWrittenThenItReadsBackAsTheSameDouble(double value)
    {
        // Given
        using var buffer = new MemoryStream();
        var writer = new EventWriter(buffer);

        // When
        writer.Write("epoch", new JsonObject { ["lr"] = EventWriter.Number(value) });

        // Then: not rounded to some decimal places (1e-7 was written as 0)
        var line = JsonNode.Parse(Encoding.UTF8.GetString(buffer.ToArray()))!;
        Assert.Equal(value, (double)line["lr"]!);
    }
}
