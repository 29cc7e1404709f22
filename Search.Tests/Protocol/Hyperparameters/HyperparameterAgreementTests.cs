using System.Globalization;
using System.Text.Json.Nodes;
using Mnist.Protocol.Hyperparameters;
using Mnist.Protocol.Specs;
using Mnist.Search.Cli;
using Mnist.Search.Config;
using Mnist.Search.Scheduling;
using Mnist.Search.Space;
using Mnist.Search.Tests.Support.Config;
using Mnist.Search.Tests.Support.Trials;
using Mnist.Search.Vocabulary;

namespace Mnist.Search.Tests.Protocol.Hyperparameters;

/// <summary>
/// The coordinator (search.json validation) and the worker (spec validation) accept exactly the same
/// hyperparameter values (issue 10): a value that passes <c>study start</c> must not fail every trial,
/// and nothing the worker can train is refused up front. Each side runs its real parser.
/// </summary>
public sealed class HyperparameterAgreementTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Per row: both range ends, just beyond them, a middle, kind mix-ups and near-miss strings.</summary>
    public static TheoryData<string, string> Probes()
    {
        var data = new TheoryData<string, string>();
        foreach (var h in HyperparameterTable.All)
            foreach (var raw in ProbesOf(h).Distinct())
                data.Add(h.Name, raw);
        return data;
    }

    public static TheoryData<string> Names() => NamesWhere(_ => true);

    public static TheoryData<string> NumericNames() => NamesWhere(h => h.Kind is HyperparameterKind.Int or HyperparameterKind.Float);

    private static TheoryData<string> NamesWhere(Func<Hyperparameter, bool> keep)
    {
        var data = new TheoryData<string>();
        foreach (var h in HyperparameterTable.All.Where(keep)) data.Add(h.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Probes))]
    public void TheCoordinatorAcceptsAFixedValueExactlyWhenTheWorkerDoes(string name, string raw)
    {
        // Given the value as a fixed hyperparameter in search.json, and in a worker spec
        // When each side validates it
        var coordinator = CoordinatorError(FixedConfig(name, raw));
        var worker = WorkerError(name, raw);

        // Then both accept it or both refuse it
        Assert.True((coordinator is null) == (worker is null),
            $"{name} = {raw}: coordinator {(coordinator ?? "accepts")}; worker {(worker ?? "accepts")}");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BothSidesAcceptTheEndsOfTheRangeAndRefuseJustBeyond(string name)
    {
        // Given the row's accepted extremes and the nearest refused values
        var h = HyperparameterTable.Get(name);
        var (accepted, refused) = Edges(h);

        // Then both sides accept every extreme (so the agreement above is not "both refuse everything")
        foreach (var raw in accepted)
            Assert.True(CoordinatorError(FixedConfig(name, raw)) is null && WorkerError(name, raw) is null, $"{name} = {raw} should be accepted");
        // And both refuse what lies beyond, the coordinator naming the JSON path and the allowed values
        foreach (var raw in refused)
        {
            Assert.Contains($"$.fixed.{name}: {name} must be {h.AllowedValues}", CoordinatorError(FixedConfig(name, raw)));
            Assert.Contains($"$.hyperparameters.{name}: ", WorkerError(name, raw));
        }
    }

    [Theory]
    [MemberData(nameof(NumericNames))]
    public void ASpaceOverTheWholeRangeYieldsSpecsTheWorkerAcceptsAtBothEnds(string name)
    {
        // Given search.json searching the row's whole range
        var h = HyperparameterTable.Get(name);
        var type = h.Kind == HyperparameterKind.Int ? "int" : "float";
        var step = h.OddOnly ? ", \"step\": 2" : "";
        var config = StudyConfigLoader.Parse(SpaceConfig(name, $$"""{"type": "{{type}}", "low": {{Show(h.Min)}}, "high": {{Show(h.Max)}}{{step}}}"""), _dir.File("search.json"));
        var settings = ConfigMapping.ToSettings(config, _dir.File("study"));

        foreach (var end in new[] { h.Min!.Value, h.Max!.Value })
        {
            // When the coordinator writes the spec of a trial sampled at that end
            var trial = TrialAt(name, config.Space.Parameters.Single(p => p.Key == name).Value, end);
            var path = settings.SpecFor(trial, 1, 1, new DeviceSlot("cpu:0", null, 1), _dir.File("out")).Write(_dir.File($"spec-{name}.json"));

            // Then the worker reads it with the same value
            var spec = TrialSpec.Load(path);
            Assert.Equal(end, Convert.ToDouble(spec.Hyperparameters[name], CultureInfo.InvariantCulture));
        }

        // And a range reaching past the end is refused at its "high", naming what is allowed
        var beyond = SpaceConfig(name, $$"""{"type": "{{type}}", "low": {{Show(h.Min)}}, "high": {{Show(h.Max + (h.OddOnly ? 2 : 1))}}{{step}}}""");
        Assert.Contains($"$.space.{name}.high: {name} must be {h.AllowedValues}", CoordinatorError(beyond));
    }

    [Fact]
    public void AnOddOnlyRangeMustStepOverTheEvenValues()
    {
        // Given kernel_size searched over 1..7 in steps of 1 (it would propose even kernels)
        var json = SpaceConfig("kernel_size", """{"type": "int", "low": 1, "high": 7}""");

        // Then search.json is refused, pointing at the fix
        Assert.Contains("$.space.kernel_size.low: kernel_size takes odd values only (an odd integer in 1..7): use an odd low and \"step\": 2", CoordinatorError(json));
    }

    private static IEnumerable<string> ProbesOf(Hyperparameter h)
    {
        var (accepted, refused) = Edges(h);
        foreach (var raw in accepted.Concat(refused)) yield return raw;
        yield return "\"1\"";
        yield return "true";
        yield return "0";
        yield return "1";
        if (h.Kind is HyperparameterKind.Int or HyperparameterKind.Float)
        {
            var mid = Math.Floor((h.Min!.Value + h.Max!.Value) / 2);
            yield return Show(mid);
            yield return Show(mid + 1);
            yield return Show(mid + 0.5);
            yield return Show(mid) + ".0";
            yield return "1e400";
        }
        if (h.Allowed is { } allowed)
            foreach (var a in allowed)
                yield return $"\"{a.ToUpperInvariant()}\"";
    }

    /// <summary>The accepted extremes of a row and the nearest values it refuses, as JSON texts.</summary>
    private static (string[] Accepted, string[] Refused) Edges(Hyperparameter h)
    {
        switch (h.Kind)
        {
            case HyperparameterKind.Int:
                return ([Show(h.Min), Show(h.Max)], [Show(h.Min - (h.OddOnly ? 2 : 1)), Show(h.Max + 1), Show(h.Min + 0.5), .. h.OddOnly ? new[] { Show(h.Min + 1) } : []]);
            case HyperparameterKind.Float:
                var eps = Math.Max(1e-9, Math.Abs(h.Max!.Value) * 1e-9);
                var below = h.Min!.Value == 0 ? -1e-9 : h.Min.Value / 2;
                return ([Show(h.Min), Show(h.Max)], [Show(below), Show(h.Max + eps)]);
            case HyperparameterKind.Bool:
                return (["true", "false"], ["1", "\"true\""]);
            default:
                return ([.. h.Allowed!.Select(a => $"\"{a}\"")], ["\"other\"", .. h.Allowed!.Select(a => $"\"{a} \"")]);
        }
    }

    private static string Show(double? x) => x!.Value.ToString("R", CultureInfo.InvariantCulture);

    // Range rules alone: searched hyperparameters that this fixed value would leave unread (conv2_channels with
    // conv_layers 1) are taken out of the space, and what makes the model read this one is fixed (momentum with sgd), so
    // the rules that refuse unread values do not answer for the range.
    private string FixedConfig(string name, string raw)
    {
        var root = JsonNode.Parse(ConfigJson.Patch($"fixed.{name}", raw, ConfigJson.Patch($"space.{name}", null)))!.AsObject();
        foreach (var h in HyperparameterTable.All.Where(h => h.Use?.Name == name)) root["space"]!.AsObject().Remove(h.Name);
        if (HyperparameterTable.Get(name).Use is { } use)
        {
            root["space"]!.AsObject().Remove(use.Name);
            root["fixed"]![use.Name] = use.AtLeast is { } n ? JsonValue.Create(n) : JsonValue.Create(use.Is);
        }
        return root.ToJsonString();
    }

    // The hyperparameter searched with what makes the model read it fixed (lr_gamma with the step schedule).
    private static string SpaceConfig(string name, string distribution)
    {
        var root = JsonNode.Parse(ConfigJson.IssueExample)!.AsObject();
        root["fixed"]!.AsObject().Remove(name);
        root["space"]![name] = JsonNode.Parse(distribution);
        if (HyperparameterTable.Get(name).Use is { } use)
        {
            root["space"]!.AsObject().Remove(use.Name);
            root["fixed"]![use.Name] = use.AtLeast is { } n ? JsonValue.Create(n) : JsonValue.Create(use.Is);
        }
        return root.ToJsonString();
    }

    private string? CoordinatorError(string json)
    {
        try
        {
            StudyConfigLoader.Parse(json, _dir.File("search.json"));
            return null;
        }
        catch (ConfigException e)
        {
            return e.Message;
        }
    }

    private string? WorkerError(string name, string raw)
    {
        try
        {
            var json = new JsonObject { ["data_dir"] = "d", ["out_dir"] = "o", ["hyperparameters"] = new JsonObject { [name] = JsonNode.Parse(raw) } };
            TrialSpec.Parse(json.ToJsonString(), "spec.json", _dir.Path);
            return null;
        }
        catch (SpecException e)
        {
            return e.Message;
        }
    }

    private static TrialSnapshot TrialAt(string name, ParameterDistribution distribution, double external) => new(
        1, 0, TrialState.RUNNING, null,
        new Dictionary<string, double> { [name] = distribution.ToInternal(external) },
        new Dictionary<string, ParameterDistribution> { [name] = distribution },
        new Dictionary<int, double>(), DateTime.UtcNow, null,
        new Dictionary<string, string>(), new Dictionary<string, string>());
}
