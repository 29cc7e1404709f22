using Mnist.Search.Sampling;

namespace Mnist.Search.Tests.Sampling;

public sealed class SamplerFactoryTests
{
    [Fact]
    public void WhenKindIsGpTpeOrRandomThenThatSamplerIsBuilt()
    {
        Assert.IsType<GpSampler>(SamplerFactory.Create(new SamplerSettings()));
        Assert.IsType<TpeSampler>(SamplerFactory.Create(new SamplerSettings(SamplerSettings.Tpe)));
        Assert.IsType<RandomSampler>(SamplerFactory.Create(new SamplerSettings(SamplerSettings.Random)));
    }

    [Fact]
    public void WhenKindIsUnknownThenTheErrorNamesTheFieldAndValue()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Create(new SamplerSettings("cmaes")));
        Assert.Contains("sampler.kind", e.Message);
        Assert.Contains("'cmaes'", e.Message);
    }

    [Fact]
    public void WhenStartupTrialsIsNegativeThenTheErrorNamesTheField()
    {
        var e = Assert.Throws<ArgumentException>(() => SamplerFactory.Create(new SamplerSettings(StartupTrials: -1)));
        Assert.Contains("sampler.startup_trials", e.Message);
    }

    [Fact]
    public void WhenSettingsAreReadFromJsonThenSnakeCaseNamesAreUsed()
    {
        var settings = System.Text.Json.JsonSerializer.Deserialize<SamplerSettings>("""{"kind": "random", "startup_trials": 4, "seed": 9}""");
        Assert.Equal(new SamplerSettings(SamplerSettings.Random, 4, 9), settings);
    }
}
